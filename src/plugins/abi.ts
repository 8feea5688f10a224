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
  /** The resolved options: the account's, or the plugin's (env > [plugins.<ident>] > default) for a call without one. */
  options: v.record(v.string(), v.nullable(OptionValue)),
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
  /**
   * Answer the body apart, as its bytes: the envelope then carries `body_length` and an empty `body`, and the
   * plugin copies the bytes with http_body. A large JSON answer then reaches the plugin without being escaped
   * into the envelope, decoded and encoded again.
   */
  body_apart: v.optional(v.boolean()),
});

/** What the host's http function answers (host → plugin): a response of any status, or why none came. */
export const HttpResultSchema = v.union([
  v.object({
    ok: v.literal(true),
    status: v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599)),
    /** Lower-case names. */
    headers: v.record(v.string(), v.string()),
    /** The body as text, "" when it is not UTF-8 (then body_base64 holds it). */
    body: v.string(),
    body_base64: v.optional(v.string()),
    /** With body_apart: the body's length in bytes, to copy with http_body. */
    body_length: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
    /** The URL that answered, after redirects. */
    url: v.string(),
    /** How many attempts it took: the host retries as the account's `retries` allows (idempotent methods, and any request that never left). */
    attempts: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)),
  }),
  v.object({
    ok: v.literal(false),
    /** connection, timeout, permission (a host outside the allow-list) or runtime. */
    error: v.object({ kind: v.string(), message: v.string() }),
  }),
]);

const KvKey = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
/** A prefix of keys: "" is every key of the plugin's namespace for the call's account. */
const KvPrefix = v.pipe(v.string(), v.maxLength(256));

/** The argument of kv_get, kv_contains and kv_delete: one key of the call's namespace. */
export const KvGetSchema = v.strictObject({ key: KvKey });

export const KvSetSchema = v.strictObject({
  key: KvKey,
  value: v.pipe(v.string(), v.maxLength(1024 * 1024)),
  ttl_seconds: v.optional(v.pipe(v.number(), v.minValue(1))),
});

/** Most keys one kv_keys answer lists; the SDK asks again with `after` for the rest. */
export const KV_KEYS_LIMIT = 1000;

/** kv_keys: the namespace's unexpired keys that start with `prefix`, in byte order, after `after` when given. */
export const KvKeysSchema = v.strictObject({
  prefix: KvPrefix,
  after: v.optional(KvKey),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(KV_KEYS_LIMIT))),
});

/** What kv_keys answers: a page of keys, and the key to ask `after` for the next page (null after the last). */
export const KvKeysAnswerSchema = v.strictObject({ keys: v.array(KvKey), next: v.nullable(KvKey) });

/** kv_flush: deletes the namespace's keys that start with `prefix` (all of them by default); answers how many. */
export const KvFlushSchema = v.strictObject({ prefix: v.optional(KvPrefix) });

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

/** Input of import and inventorize commands: which page to return. */
export const PageRequestSchema = v.object({
  page: v.nullable(v.string()),
  page_size: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /**
   * Imports: when the account's last successful run of this command started (ISO 8601, the daemon's clock),
   * null when it has none; for a plugin that can read only what changed since (a delta), which then answers
   * its pages `partial`.
   */
  last_success: v.optional(v.nullable(v.string())),
});

export const Hostname = v.pipe(v.string(), v.regex(/\S/, "a hostname"), v.maxLength(253, "a hostname of at most 253 characters"));
export const InventoryValue = v.union([v.string(), v.number(), v.boolean(), v.null()], "a string, number, boolean or null");

/** A key JavaScript reads as an object's prototype: never a label name or an inventory key. */
const RESERVED_KEY = "__proto__";

function typeName(input: unknown): string {
  if (Array.isArray(input)) return "an array";
  if (input === null) return "null";
  return typeof input === "object" ? "an object" : `a ${typeof input}`;
}

/**
 * A flat map such as labels or inventory: v.record, which alone takes an array for an object
 * ({"0": …}) and drops `__proto__`, `constructor` and `prototype` keys silently. This one refuses
 * anything but a JSON object (naming what it got) and a `__proto__` key (an issue of type
 * "reserved_key"), and answers the object it was given, so no key is lost. Its JSON Schema is the record's.
 */
function flatMap<const Key extends v.GenericSchema<string, string>, const Value extends v.GenericSchema>(key: Key, value: Value, expected: string) {
  const record = v.record(key, value);
  type Dataset = v.OutputDataset<v.InferOutput<typeof record>, v.BaseIssue<unknown>>;
  const refuse = (dataset: v.UnknownDataset, issue: Omit<v.BaseIssue<unknown>, "kind">): Dataset => {
    const failed = dataset as unknown as v.FailureDataset<v.BaseIssue<unknown>>;
    failed.typed = false;
    failed.issues = [{ kind: "schema", ...issue }];
    return failed;
  };
  return v._standardSchema({
    ...record,
    "~run"(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>): Dataset {
      const input = dataset.value;
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return refuse(dataset, { type: "record", input, expected, received: typeName(input), message: `expected ${expected}, got ${typeName(input)}` });
      }
      if (Object.hasOwn(input, RESERVED_KEY)) {
        const path: [v.ObjectPathItem] = [{ type: "object", origin: "key", input: input as Record<string, unknown>, key: RESERVED_KEY, value: (input as Record<string, unknown>)[RESERVED_KEY] }];
        return refuse(dataset, { type: "reserved_key", input: RESERVED_KEY, expected: null, received: JSON.stringify(RESERVED_KEY), message: "a reserved name", path });
      }
      const checked = record["~run"](dataset, config);
      if (!checked.issues) checked.value = input as v.InferOutput<typeof record>;
      return checked;
    },
  }) as typeof record;
}

export const Labels = flatMap(v.pipe(v.string(), v.minLength(1, "a label name")), v.string("a string label value"), "an object of strings");
export const InventoryFields = flatMap(v.pipe(v.string(), v.minLength(1, "an inventory key")), InventoryValue, "an object of strings, numbers, booleans or nulls");

/** One host as an import or inventorize command returns it. */
export const HostRecordSchema = v.object({
  hostname: Hostname,
  labels: v.optional(Labels),
  inventory: v.optional(InventoryFields),
  row: v.optional(v.pipe(v.number(), v.integer())),
});

/** What an import or inventorize command answers: one page of hosts and the cursor of the next page. */
export const HostPageSchema = v.object({
  hosts: v.array(v.unknown()),
  next: v.nullable(v.string()),
  /**
   * The pages are not everything the source holds (a delta: only what changed since last_success): hosts
   * they do not name are not missing, so the run does not apply the account's delete_missing. One page
   * saying so is enough.
   */
  partial: v.optional(v.boolean()),
});

/** One host as the host sends it to export commands, hooks and inventory formats. */
export const HostViewSchema = v.object({
  hostname: v.string(),
  account: v.nullable(v.string()),
  labels: v.record(v.string(), v.string()),
  inventory: v.record(v.string(), InventoryValue),
  /** What the target's rules give this host beyond attributes (a Checkmk folder, Ansible groups…), by outcome name. */
  outcomes: v.optional(v.record(v.string(), v.unknown())),
});

/**
 * A fingerprint of a target's host (export phases): opaque to the daemon, compared for equality only. Letters,
 * digits and `_ . : + / = -` (hex, base64 and the like): the daemon keeps it in text lists it separates by others.
 */
export const FINGERPRINT_PATTERN = /^[0-9A-Za-z_.:+/=-]{1,128}$/;
const Fingerprint = v.pipe(v.string(), v.regex(FINGERPRINT_PATTERN));

export const EXPORT_STATUSES = ["created", "updated", "unchanged", "skipped", "deleted", "failed"] as const;

/** What an export command answers for one page. */
export const ExportResultSchema = v.object({
  results: v.array(
    v.object({
      hostname: v.string(),
      status: v.picklist(EXPORT_STATUSES),
      message: v.optional(v.string()),
      /**
       * Export phases, optional: the target's host as this page wants it, fingerprinted as the begin phase
       * fingerprints what the target holds. The daemon keeps it with the host's inputs and skips the host in
       * a later run whose inputs are the same while the target's fingerprint still equals it.
       */
      fingerprint: v.optional(Fingerprint),
    }),
  ),
});

/**
 * ABI v1's optional export phases (a command's `phases` in plugin.json), for targets an export diffs against
 * rather than writes blindly. `begin` reads the target's hosts once per run, a page at a time; every page
 * call then receives, beside its hosts, what the target holds of them (`current`); `finish` receives the
 * target's owned hosts that no page carried (to delete, within the account's delete_limit) and whether
 * the run changed anything (to activate, say). docs/abi-v1.md tells the whole protocol.
 */
export const ExportBeginInputSchema = v.object({
  /** null for the first page; then the `next` (or one of the `also`) an answer gave. */
  cursor: v.nullable(v.string()),
});

/** One host the target has, as the begin phase reports it. */
export const TargetHostSchema = v.object({
  hostname: Hostname,
  /** Whether Syncer owns the host on the target (created it, carries its mark): only owned hosts are ever deleted. */
  owned: v.boolean(),
  /** The plugin's own record of the host, handed back to it unchanged in `current` and `delete`. */
  state: v.unknown(),
  /** Optional: what the target holds of the host, fingerprinted as a page's results fingerprint what they want (ExportResultSchema). */
  fingerprint: v.optional(Fingerprint),
});

export const ExportBeginAnswerSchema = v.object({
  hosts: v.array(TargetHostSchema),
  next: v.nullable(v.string()),
  /**
   * Cursors of further reads, independent of this one and of each other (a part of the target each): the
   * daemon calls each, follows its `next`, and may run them at once in several sandbox processes.
   */
  also: v.optional(v.array(v.string())),
});

/** What a page call of a phased export receives. */
export const ExportPageInputSchema = v.object({
  page: v.number(),
  /** What the target holds of this page's hosts, by hostname (those it lacks are not in it); sent before `hosts`. */
  current: v.optional(v.record(v.string(), v.unknown())),
  hosts: v.array(v.unknown()),
});

/** What the finish phase receives, in chunks of [inventory] page_size deletions; `last` on the final call. */
export const ExportFinishInputSchema = v.object({
  delete: v.array(v.object({ hostname: v.string(), state: v.unknown() })),
  /** Whether this run created, updated or deleted anything so far. */
  changed: v.boolean(),
  last: v.boolean(),
});

const HostState = v.object({ labels: v.record(v.string(), v.string()), inventory: v.record(v.string(), InventoryValue) });

/** One pending change as hooks see it. */
export const HostChangeSchema = v.object({
  hostname: v.string(),
  action: v.picklist(["create", "update", "delete"]),
  account: v.nullable(v.string()),
  old: v.nullable(HostState),
  new: v.nullable(HostState),
});

/** What a pre_ hook answers: null to go on, the page's changes rewritten, or a rejection. */
export const HookAnswerSchema = v.nullable(
  v.union([v.strictObject({ changes: v.array(HostChangeSchema) }), v.strictObject({ reject: v.pipe(v.string(), v.minLength(1, "a reason")) })]),
);

/** One event of the log as subscribers receive it (src/core/events.ts eventJson). */
export const LoggedEventSchema = v.object({
  id: v.pipe(v.number(), v.description("Increasing; an event delivered twice (at least once) has the same id.")),
  type: v.string(),
  at: v.pipe(v.string(), v.description("ISO 8601")),
  plugin: v.nullable(v.string()),
  account: v.nullable(v.string()),
  run_id: v.nullable(v.number()),
  data: v.unknown(),
});

/** What a subscriber's export receives as `input`: the next events it subscribed to, in id order. */
export const EventBatchSchema = v.object({
  subscriber: v.pipe(v.string(), v.description("plugin:<ident>")),
  events: v.array(LoggedEventSchema),
});

/** What a subscriber answers once it has taken the batch: null. A failure (error_set) or anything else is retried. */
export const EventBatchAnswerSchema = v.null();

/** What host.pre_lifecycle and host.post_lifecycle hooks receive as `input`: the host and its move. */
export const LifecycleHookInputSchema = v.object({
  event: v.picklist(["host.pre_lifecycle", "host.post_lifecycle"]),
  host: v.object({ hostname: v.string(), account: v.nullable(v.string()), labels: v.record(v.string(), v.string()) }),
  old: v.string(),
  new: v.string(),
});

/** What a host.pre_lifecycle hook answers: null to let the change happen, or a veto with the reason shown to whoever asked for it. */
export const LifecycleHookAnswerSchema = v.nullable(v.strictObject({ reject: v.pipe(v.string(), v.minLength(1, "a reason")) }));

export type CallRequest = v.InferOutput<typeof CallRequestSchema>;
/** What a plugin endpoint receives as `input`: the HTTP request, its credentials stripped. */
export const EndpointRequestSchema = v.object({
  method: v.string(),
  /** The path under /api/v1/plugins/<ident>, e.g. "/status". */
  path: v.string(),
  query: v.record(v.string(), v.union([v.string(), v.array(v.string())])),
  /** Lower-case names; Authorization, Cookie and Proxy-Authorization are never passed on. */
  headers: v.record(v.string(), v.string()),
  /** The body as text (UTF-8), or null. */
  body: v.nullable(v.string()),
});

/** RFC 9110 field-name: a token. */
const HeaderName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "a header name (an RFC 9110 token)"));
/** RFC 9110 field-value: visible characters, spaces and tabs, obs-text (Latin-1); never CR, LF, NUL or another control character. */
const HeaderValue = v.pipe(v.string(), v.regex(/^[\t\x20-\x7e\x80-\xff]*$/, "a header value without CR, LF, NUL or other control characters"));
/** Statuses whose answer has no body (RFC 9110 §15.3.5, §15.3.6, §15.4.5). */
const BODYLESS_STATUSES: readonly number[] = [204, 205, 304];

/** What a plugin endpoint answers. A string body is sent as is (text/plain unless a content-type header says otherwise); anything else as JSON. */
export const EndpointAnswerSchema = v.pipe(
  v.object({
    status: v.pipe(v.number(), v.integer("a status from 200 to 599"), v.minValue(200, "a status from 200 to 599"), v.maxValue(599, "a status from 200 to 599")),
    headers: v.optional(flatMap(HeaderName, HeaderValue, "an object of header values")),
    body: v.optional(v.unknown()),
  }),
  v.forward(
    v.check((answer) => !BODYLESS_STATUSES.includes(answer.status) || answer.body === undefined || answer.body === null, "no body with status 204, 205 or 304"),
    ["body"],
  ),
);

/**
 * A call of a plugin's template filter or condition test (ABI v1's optional extension): every distinct
 * value a page of hosts needs, each with its arguments, in one call. `filter` or `test` names the
 * manifest's entry (without the ident).
 */
export const FunctionInputSchema = v.union([
  v.object({ filter: v.string(), items: v.array(v.object({ value: v.unknown(), args: v.array(v.unknown()) })) }),
  v.object({ test: v.string(), items: v.array(v.object({ value: v.unknown(), args: v.array(v.unknown()) })) }),
]);

/** One item's result: the filtered value (a test's: true or false), or why the plugin refused that item. */
export const FunctionResultSchema = v.union([v.strictObject({ value: v.unknown() }), v.strictObject({ error: v.pipe(v.string(), v.minLength(1, "a reason")) })], 'an object {"value": …} or {"error": "why"}');

/** What a filter or test answers: one result per item, in the items' order (checked item by item: one bad result fails its item only). */
export const FunctionAnswerSchema = v.strictObject({ results: v.array(FunctionResultSchema) });
/** What a view's export receives as `input`: which view, and the page's query parameters (from links the view made). */
export const ViewRequestSchema = v.object({
  view: v.string(),
  query: v.record(v.string(), v.string()),
});

const VIEW_LEVELS = ["ok", "info", "warn", "error"] as const;
/** Text of a view: shown as text, never as markup. */
const ViewText = v.pipe(v.string(), v.maxLength(10_000, "at most 10,000 characters"));
/** A view's query parameters: links within the plugin's views carry them. */
const ViewQuery = v.pipe(v.record(v.pipe(v.string(), v.maxLength(100)), v.pipe(v.string(), v.maxLength(1_000))), v.description("Query parameters of the view linked to."));
/** A cell or value: plain text, a number, a truth value, nothing, or text with a status colour or a link to a host's page. */
const ViewValue = v.union(
  [
    v.string(),
    v.number(),
    v.boolean(),
    v.null(),
    v.strictObject({
      text: ViewText,
      status: v.optional(v.pipe(v.picklist(VIEW_LEVELS), v.description("Shown as a coloured badge."))),
      host: v.optional(v.pipe(v.string(), v.maxLength(253), v.description("Links the text to this host's page."))),
    }),
  ],
  "a string, number, boolean, null or {text, status?, host?}",
);

/** The few things a view is made of; the daemon renders each, escaping every text. */
const ViewBlock = v.variant("type", [
  v.strictObject({ type: v.literal("heading"), text: ViewText }),
  v.strictObject({ type: v.literal("text"), text: ViewText }),
  v.strictObject({ type: v.literal("notice"), level: v.picklist(VIEW_LEVELS), text: ViewText }),
  v.strictObject({
    type: v.literal("keyvalue"),
    title: v.optional(ViewText),
    items: v.pipe(v.array(v.strictObject({ key: ViewText, value: ViewValue })), v.maxLength(500, "at most 500 items")),
  }),
  v.pipe(
    v.strictObject({
      type: v.literal("table"),
      title: v.optional(ViewText),
      columns: v.pipe(v.array(ViewText), v.minLength(1, "at least one column"), v.maxLength(50, "at most 50 columns")),
      rows: v.pipe(v.array(v.array(ViewValue)), v.maxLength(1_000, "at most 1,000 rows")),
    }),
    v.forward(
      v.check((table) => table.rows.every((row) => row.length === table.columns.length), "every row has one cell per column"),
      ["rows"],
    ),
  ),
  v.strictObject({
    type: v.literal("link"),
    text: ViewText,
    view: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]{0,31}$/, "the name of one of the plugin's views")),
    query: v.optional(ViewQuery),
  }),
]);

/** What a view's export answers: data the daemon renders as a page of the web UI. Never HTML: every text is shown as text. */
export const ViewAnswerSchema = v.strictObject({
  title: v.optional(ViewText),
  blocks: v.pipe(v.array(ViewBlock), v.maxLength(100, "at most 100 blocks")),
});

export type ViewAnswer = v.InferOutput<typeof ViewAnswerSchema>;
export type ViewBlockData = v.InferOutput<typeof ViewBlock>;
export type ViewValueData = v.InferOutput<typeof ViewValue>;

export type HostRecord = v.InferOutput<typeof HostRecordSchema>;
export type HostChange = v.InferOutput<typeof HostChangeSchema>;
export type AccountPayload = v.InferOutput<typeof AccountPayloadSchema>;

/** Schemas published in schemas/ as abi-v1.<name>.schema.json. */
export const ABI_SCHEMAS = {
  request: CallRequestSchema,
  error: ErrorEnvelopeSchema,
  "http-request": HttpRequestSchema,
  "http-result": HttpResultSchema,
  "kv-get": KvGetSchema,
  "kv-set": KvSetSchema,
  "kv-keys": KvKeysSchema,
  "kv-keys-answer": KvKeysAnswerSchema,
  "kv-flush": KvFlushSchema,
  event: EventSchema,
  "hosts-read": HostsReadSchema,
  "page-request": PageRequestSchema,
  "host-page": HostPageSchema,
  "host-record": HostRecordSchema,
  "host-view": HostViewSchema,
  "export-result": ExportResultSchema,
  "export-begin-input": ExportBeginInputSchema,
  "export-begin-answer": ExportBeginAnswerSchema,
  "export-page-input": ExportPageInputSchema,
  "export-finish-input": ExportFinishInputSchema,
  "host-change": HostChangeSchema,
  "hook-answer": HookAnswerSchema,
  "event-batch": EventBatchSchema,
  "lifecycle-hook-input": LifecycleHookInputSchema,
  "lifecycle-hook-answer": LifecycleHookAnswerSchema,
  "endpoint-request": EndpointRequestSchema,
  "endpoint-answer": EndpointAnswerSchema,
  "function-input": FunctionInputSchema,
  "function-answer": FunctionAnswerSchema,
  "view-request": ViewRequestSchema,
  "view-answer": ViewAnswerSchema,
} as const;
