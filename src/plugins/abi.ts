import * as v from "valibot";
import { API_VERSION } from "./manifest/schema.ts";

/**
 * ABI v1 messages: the JSON that crosses the boundary between host and plugin. The single source of
 * their types, of the host's checks on what a plugin sends, and of schemas/abi-v1.*.json.
 * docs/abi-v1.md describes the protocol around them.
 */

const OptionValue = v.union([v.string(), v.number(), v.boolean(), v.array(v.string())]);

/** The account a call runs for, with its options resolved and typed. */
export const AccountPayloadSchema = v.object({
  name: v.string(),
  address: v.string(),
  username: v.string(),
  password: v.string(),
  options: v.record(v.string(), v.nullable(OptionValue)),
  custom_fields: v.record(v.string(), OptionValue),
});

/** What every export receives (host → plugin). */
export const CallRequestSchema = v.object({
  api_version: v.literal(API_VERSION),
  plugin: v.string(),
  command: v.string(),
  account: v.nullable(AccountPayloadSchema),
  dry_run: v.boolean(),
  /** The command's own input: a page cursor, records to export, an HTTP request for an endpoint… */
  input: v.unknown(),
});

/** What a plugin reports with error_write (plugin → host). */
export const ErrorEnvelopeSchema = v.object({
  kind: v.string(),
  message: v.pipe(v.string(), v.maxLength(64 * 1024)),
});

export const HttpRequestSchema = v.strictObject({
  method: v.picklist(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
  url: v.pipe(v.string(), v.maxLength(8192)),
  headers: v.optional(v.record(v.string(), v.string())),
  body: v.optional(v.string()),
  body_base64: v.optional(v.string()),
});

export const KvGetSchema = v.strictObject({ key: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

export const KvSetSchema = v.strictObject({
  key: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  value: v.pipe(v.string(), v.maxLength(1024 * 1024)),
  ttl_seconds: v.optional(v.pipe(v.number(), v.minValue(1))),
});

export const EventSchema = v.strictObject({
  type: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_.-]{0,63}$/, "an event type such as 'netbox.sync_done'")),
  data: v.optional(v.unknown()),
});

export const HostsReadSchema = v.strictObject({
  hostnames: v.optional(v.pipe(v.array(v.string()), v.maxLength(1000))),
  account: v.optional(v.string()),
  after: v.optional(v.string()),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
});

export type CallRequest = v.InferOutput<typeof CallRequestSchema>;
export type AccountPayload = v.InferOutput<typeof AccountPayloadSchema>;

/** Schemas published in schemas/ as abi-v1.<name>.schema.json. */
export const ABI_SCHEMAS = {
  request: CallRequestSchema,
  error: ErrorEnvelopeSchema,
  "http-request": HttpRequestSchema,
  "kv-get": KvGetSchema,
  "kv-set": KvSetSchema,
  event: EventSchema,
  "hosts-read": HostsReadSchema,
} as const;
