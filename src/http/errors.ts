import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PLUGIN_ERROR_KINDS, type SyncerError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";

/** The JSON error body of every route: `{error: {kind, message, details?}}`; the message is redacted. */
export function errorBody(kind: string, message: string, details?: Record<string, unknown>) {
  return { error: details === undefined ? { kind, message: redact(message) } : { kind, message: redact(message), details } };
}

const STATUS_OF_KIND: Record<string, ContentfulStatusCode> = {
  usage: 400,
  validation: 400,
  options: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  account_conflict: 409,
  disabled: 409,
  rejected: 409,
  delete_limit: 409,
  payload_too_large: 413,
  rate_limited: 429,
  overloaded: 503,
  timeout: 504,
  config: 500,
  database: 500,
  io: 500,
  internal: 500,
};

/** The HTTP status of an error kind: the caller's mistakes are 4xx; a plugin's failure is the upstream's, 502. */
export function statusOf(error: SyncerError): ContentfulStatusCode {
  const status = STATUS_OF_KIND[error.kind];
  if (status !== undefined) return status;
  return (PLUGIN_ERROR_KINDS as readonly string[]).includes(error.kind) ? 502 : 500;
}
