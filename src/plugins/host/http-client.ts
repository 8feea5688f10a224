/**
 * The host's HTTP client: every outbound request a plugin makes goes through `performHttp`. The plugin
 * and the upstream are both untrusted, so the allow-list is checked on every hop, bodies are capped while
 * streaming, each attempt has a hard deadline, and nothing throws: every failure comes back as a value.
 */
import { isUtf8 } from "node:buffer";
import { describeSystemError, systemErrorCode } from "../../core/errors.ts";
import { REDACTED, redact } from "../../core/redact.ts";

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string /* UTF-8 text */;
  body_base64?: string;
}
export interface HttpPolicy {
  /** Hosts the plugin may reach: exact host names ("nb.example.com"), "host:port", or "*.example.com" wildcards. Checked on the first URL and on EVERY redirect hop. */
  allowedHosts: string[];
  timeoutMs: number; // per attempt, whole request including body
  maxResponseBytes: number; // body cap; stop reading and fail when exceeded
  maxRedirects: number;
  retries: number; // extra attempts for the whole request, spent on whichever hop fails
  verifyTls: boolean; // false => Bun fetch `tls: { rejectUnauthorized: false }`
  dryRun: boolean; // non-GET/HEAD requests are not sent; answered with a fake 200 {"dry_run":true}
  /** Answer the body as `bytes`, not decoded to `body`: the bytes the text decodes from (without a leading BOM), or all of them when they are not UTF-8. */
  bodyBytes?: boolean;
  /** Called once per attempt/hop; the line is redacted. */
  log?: (line: string) => void;
}
export type HttpErrorKind = "permission" | "connection" | "timeout" | "runtime";
export type HttpResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string; body_base64?: string; bytes?: Uint8Array; url: string; attempts: number }
  | { ok: false; error: { kind: HttpErrorKind; message: string } };
type Failure = Extract<HttpResult, { ok: false }>;

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RETRY_STATUSES = new Set([502, 503, 504]);
// Errors raised before a single byte left this machine: safe to retry even a POST.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ConnectionRefused"]);
const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed temporarily",
  ECONNRESET: "connection reset by the server",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};
// Bun honours a plugin-set Host header (reaching another virtual host on an allowed address), and framing
// headers are fetch's job; the plugin does not get to set these.
const FORBIDDEN_HEADERS = ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "keep-alive"];
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];
const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|password|auth/i;
const SENSITIVE_PARAM = /token|key|secret|password|passwd|auth|sig/i;

const fail = (kind: HttpErrorKind, message: string): Failure => ({ ok: false, error: { kind, message: redact(message) } });

export function hostAllowed(url: URL, allowedHosts: string[]): boolean {
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const host = url.hostname.toLowerCase();
  const port = effectivePort(url);
  return allowedHosts.some((raw) => {
    const entry = parseEntry(raw);
    if (!entry || (entry.port !== undefined && entry.port !== port)) return false;
    if (entry.host.startsWith("*.")) return host.endsWith(entry.host.slice(1)); // ".example.com": never the apex
    return host === entry.host;
  });
}

function parseEntry(raw: string): { host: string; port?: string } | undefined {
  const entry = raw.trim().toLowerCase();
  if (entry === "") return undefined;
  const ipv6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(entry); // "[::1]" or "[::1]:8080", as URL.hostname spells it
  if (ipv6) return { host: ipv6[1]!, port: ipv6[2] };
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  if (hostPort) return { host: hostPort[1]!, port: hostPort[2] };
  return entry.includes(":") ? { host: `[${entry}]` } : { host: entry };
}

const effectivePort = (url: URL): string => url.port || (url.protocol === "https:" ? "443" : "80");
const hostPort = (url: URL): string => `${url.hostname}:${effectivePort(url)}`;

/** The URL as it may be logged: userinfo and secret-looking query values replaced. */
function safeUrl(url: URL): string {
  const userinfo = url.username || url.password ? `${REDACTED}@` : "";
  const search = url.search
    .slice(1)
    .split("&")
    .map((pair) => (SENSITIVE_PARAM.test(pair.split("=")[0] ?? "") && pair.includes("=") ? `${pair.split("=")[0]}=${REDACTED}` : pair))
    .join("&");
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${search ? `?${search}` : ""}`;
}

function checkUrl(url: URL, allowedHosts: string[]): Failure | undefined {
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return fail("permission", `only http: and https: URLs are allowed, not ${url.protocol}`);
  if (!hostAllowed(url, allowedHosts))
    return fail("permission", `HTTP to ${url.host} is not allowed for this plugin (allowed: ${allowedHosts.join(", ") || "none"})`);
  return undefined;
}

function parseUrl(text: unknown): URL | Failure {
  if (typeof text !== "string" || text.trim() === "") return fail("runtime", "malformed URL: it is empty");
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) return fail("runtime", "malformed URL: no scheme (expected http:// or https://)");
  try {
    return new URL(text);
  } catch {
    // Never echo the raw text: it may carry credentials.
    return fail("runtime", `malformed URL: cannot parse the ${text.split(":")[0]}: URL`);
  }
}

function requestBody(request: HttpRequest, method: string): Uint8Array | string | undefined | Failure {
  if (request.body !== undefined && request.body_base64 !== undefined) return fail("runtime", "give either body or body_base64, not both");
  const body = request.body ?? request.body_base64;
  if (body === undefined) return undefined;
  if (method === "GET" || method === "HEAD") return fail("runtime", `a ${method} request cannot have a body`);
  if (request.body !== undefined) return request.body;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(request.body_base64!) || request.body_base64!.length % 4 !== 0)
    return fail("runtime", "body_base64 is not valid base64");
  return new Uint8Array(Buffer.from(request.body_base64!, "base64"));
}

export async function performHttp(request: HttpRequest, policy: HttpPolicy): Promise<HttpResult> {
  try {
    return await perform(request, policy);
  } catch (error) {
    return fail("runtime", `unexpected error in the HTTP client: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function perform(request: HttpRequest, policy: HttpPolicy): Promise<HttpResult> {
  let method = String(request.method ?? "").toUpperCase();
  if (!METHODS.has(method)) return fail("runtime", `unsupported HTTP method "${String(request.method).slice(0, 20)}"`);
  const first = parseUrl(request.url);
  if (!(first instanceof URL)) return first;
  let url = first;
  const denied = checkUrl(url, policy.allowedHosts);
  if (denied) return denied;
  let headers: Headers;
  try {
    headers = new Headers(request.headers ?? {});
  } catch (error) {
    return fail("runtime", `invalid request header: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const name of FORBIDDEN_HEADERS) headers.delete(name);
  const given = requestBody(request, method);
  if (typeof given === "object" && "ok" in given) return given;
  let body: Uint8Array | string | undefined = given;

  const log = (line: string) => {
    const shown = [...headers].map(([k, v]) => `${k}: ${SENSITIVE_HEADER.test(k) ? REDACTED : v}`).join("; ");
    try {
      policy.log?.(redact(`http ${method} ${safeUrl(url)} ${line}${shown ? ` [${shown}]` : ""}`));
    } catch {} // a broken logger must not break the request
  };
  if (policy.dryRun && method !== "GET" && method !== "HEAD") {
    log("dry run: not sent");
    return { ok: true, status: 200, headers: {}, body: '{"dry_run":true}', url: url.href, attempts: 0 };
  }

  let attempts = 1;
  let hops = 0;
  // One pass per attempt or redirect hop. Retries are a budget for the whole request, not per hop.
  for (;;) {
    const idempotent = IDEMPOTENT.has(method);
    const canRetry = attempts <= policy.retries;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, policy.timeoutMs);
    const started = Date.now();
    const retryOr = async (failure: Failure, retry: boolean): Promise<Failure | undefined> => {
      log(`attempt ${attempts} -> ${failure.error.kind}: ${failure.error.message}`);
      if (!retry || !canRetry) return attempts > 1 ? fail(failure.error.kind, `${failure.error.message} (after ${attempts} attempts)`) : failure;
      await Bun.sleep(100 * attempts++);
      return undefined;
    };
    try {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body,
          redirect: "manual", // we follow redirects ourselves so every hop meets the allow-list
          signal: controller.signal,
          ...(policy.verifyTls ? {} : { tls: { rejectUnauthorized: false } }),
        });
      } catch (error) {
        const code = systemErrorCode(error);
        const failure = timedOut
          ? fail("timeout", `no answer from ${hostPort(url)} within ${policy.timeoutMs} ms`)
          : code && !code.startsWith("ERR_INVALID")
            ? fail("connection", `cannot reach ${hostPort(url)}: ${REASONS[code] ? `${REASONS[code]} (${code})` : describeSystemError(error).split("\n")[0]}`)
            : fail("runtime", `request to ${hostPort(url)} failed: ${error instanceof Error ? error.message : String(error)}`);
        const retry = failure.error.kind !== "runtime" && (idempotent || (!timedOut && NOT_SENT.has(code ?? "")));
        const outcome = await retryOr(failure, retry);
        if (outcome) return outcome;
        continue;
      }
      const location = response.headers.get("location");
      if (REDIRECTS.has(response.status) && location !== null) {
        log(`attempt ${attempts} -> ${response.status} redirect`);
        controller.abort(); // we never read a redirect's body
        if (++hops > policy.maxRedirects) return fail("connection", `too many redirects (more than ${policy.maxRedirects}) from ${first.host}`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return fail("runtime", `${url.host} redirected to a malformed URL`);
        }
        const hopDenied = checkUrl(next, policy.allowedHosts);
        if (hopDenied) return hopDenied;
        // 303 always, and 301/302 after a POST, become a body-less GET (as browsers do); 307/308 replay as is.
        if ((response.status === 303 && method !== "HEAD") || (method === "POST" && response.status <= 302)) {
          method = "GET";
          body = undefined;
          for (const name of BODY_HEADERS) headers.delete(name);
        }
        // Credentials were meant for the origin that got them, not for whoever it redirects to.
        if (next.origin !== url.origin) for (const [name] of [...headers]) if (SENSITIVE_HEADER.test(name)) headers.delete(name);
        url = next;
        continue;
      }
      if (RETRY_STATUSES.has(response.status) && idempotent && canRetry) {
        controller.abort();
        await retryOr(fail("connection", `${hostPort(url)} answered ${response.status}`), true);
        continue;
      }
      const read = await readBody(response, method, policy.maxResponseBytes, controller);
      if (!(read instanceof Uint8Array)) {
        const failure = timedOut ? fail("timeout", `the response from ${hostPort(url)} did not finish within ${policy.timeoutMs} ms`) : read;
        const outcome = await retryOr(failure, idempotent && failure.error.kind !== "runtime");
        if (outcome) return outcome;
        continue;
      }
      log(`attempt ${attempts} -> ${response.status} (${read.byteLength} bytes in ${Date.now() - started} ms)`);
      const result: HttpResult = { ok: true, status: response.status, headers: {}, body: "", url: url.href, attempts };
      response.headers.forEach((value, name) => {
        result.headers[name] = result.headers[name] === undefined ? value : `${result.headers[name]}, ${value}`;
      });
      if (policy.bodyBytes) {
        // What decoding and encoding again would give, without either: a 50 MB answer was copied four times.
        result.bytes = isUtf8(read) && read[0] === 0xef && read[1] === 0xbb && read[2] === 0xbf ? read.subarray(3) : read;
        return result;
      }
      try {
        result.body = new TextDecoder("utf-8", { fatal: true }).decode(read);
      } catch {
        result.body_base64 = Buffer.from(read).toString("base64"); // not text: hand the plugin the exact bytes
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}

const cutOff = (detail: string) => fail("connection", `the response body was cut off: ${detail}`);

/** Reads at most `max` bytes (plus the one chunk that crosses it); beyond that it aborts the connection. */
async function readBody(response: Response, method: string, max: number, controller: AbortController): Promise<Uint8Array | Failure> {
  const overLimit = () => {
    controller.abort();
    return fail("runtime", `response body over the limit of ${max} bytes`);
  };
  const length = response.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (method !== "HEAD" && declared > max) return overLimit(); // HEAD announces a length it never sends
  if (!response.body) return new Uint8Array(0);
  const encoding = response.headers.get("content-encoding");
  if (method !== "HEAD" && length !== null && /^\d+$/.test(length) && (encoding === null || encoding === "identity")) {
    // A body of a known length, as sent: read whole into one buffer, not a chunk at a time and joined (a copy more).
    try {
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength === declared) return body;
      return cutOff(`${body.byteLength} of ${declared} bytes`);
    } catch (error) {
      return cutOff(describeSystemError(error).split("\n")[0]!);
    }
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        reader.cancel().catch(() => {});
        return overLimit();
      }
      chunks.push(value);
    }
  } catch (error) {
    return cutOff(describeSystemError(error).split("\n")[0]!);
  }
  return Buffer.concat(chunks);
}
