// HTTP through the host, and JsonApi: the plumbing of a JSON API client. Every request goes through the
// host's http function: only to the account's address host and the hosts the manifest lists, with the
// account's timeout, TLS settings and retries (the host retries idempotent methods, and any request that
// never left, up to the account's `retries`; `attempts` says how many it took). In a dry run the host
// does not send non-GET requests.
import * as host from "./host";
import { HttpRequest, HttpResponse } from "./abi.generated";
import { JsonDocument } from "./json-document";
import { JsonWriter } from "./json-writer";

function send(envelope: HttpRequest): HttpResponse {
  const bytes = String.UTF8.encode(envelope.toJson());
  const length = host.http_request(changetype<usize>(bytes), <u32>bytes.byteLength);
  const answer = new ArrayBuffer(<i32>length);
  if (length > 0) host.result_read(changetype<usize>(answer), length);
  return HttpResponse.parse(String.UTF8.decode(answer));
}

export namespace http {
  /** Sends a request; `ok` false means it could not be made (see error); an HTTP error status has ok true. */
  export function request(method: string, url: string, headers: Map<string, string> | null = null, body: string | null = null): HttpResponse {
    const envelope = new HttpRequest();
    envelope.method = method;
    envelope.url = url;
    if (headers !== null) envelope.headers = headers;
    if (body !== null) envelope.body = body;
    return send(envelope);
  }
  export function get(url: string, headers: Map<string, string> | null = null): HttpResponse {
    return request("GET", url, headers, null);
  }
}

// ---------------------------------------------------------------- JSON APIs

// Enough of an error page to recognise it, not so much that it floods the run log.
const BODY_EXCERPT = 200;

/** Query parameters in order, percent-encoded when the URL is made. */
export class Query {
  private parts: string[] = [];

  set(name: string, value: string): Query {
    this.parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    return this;
  }

  setInt(name: string, value: i64): Query {
    return this.set(name, value.toString());
  }

  /** `url` with the parameters appended (after its own, if it has some). */
  appendTo(url: string): string {
    if (this.parts.length == 0) return url;
    return url + (url.includes("?") ? "&" : "?") + this.parts.join("&");
  }
}

/**
 * What a JSON API answered: the checked document of a 2xx answer, or the error kind and a message that
 * names the request and, for an HTTP error, its status and the start of its body.
 */
export class ApiResponse {
  /** The HTTP status, 0 when no answer came. */
  status: i32 = 0;
  /** Response headers, names in lower case. */
  headers: Map<string, string> = new Map<string, string>();
  /** The URL that answered, after redirects. */
  url: string = "";
  /** The answer's JSON; null for an error, and for a 2xx answer without a body (204). */
  document: JsonDocument | null = null;
  /** The body's bytes. */
  bytes: ArrayBuffer = new ArrayBuffer(0);
  /** An error answer's body as text ("" for a 2xx answer: its JSON is `document`, its bytes `bytes`). */
  body: string = "";
  /** "" on success; else an ErrorKind: connection, timeout, permission, auth, parser, runtime. */
  errorKind: string = "";
  errorMessage: string = "";

  get ok(): bool {
    return this.errorKind.length == 0;
  }

  /** The ETag the answer carried ("" when none): send it back with `ifMatch` to update only what was read. */
  get etag(): string {
    return this.headers.has("etag") ? this.headers.get("etag") : "";
  }

  /**
   * The next page's URL from an RFC 8288 `Link: <…>; rel="next"` header, resolved against the URL that
   * answered; null when there is none.
   */
  linkNext(): string | null {
    if (!this.headers.has("link")) return null;
    const link = nextInLinkHeader(this.headers.get("link"));
    return link === null ? null : resolveUrl(this.url, link);
  }

  fail(kind: string, message: string): ApiResponse {
    this.errorKind = kind;
    this.errorMessage = message;
    return this;
  }
}

/** Whether the bytes are only JSON whitespace. */
function isBlank(bytes: ArrayBuffer): bool {
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = load<u8>(changetype<usize>(bytes) + <usize>i);
    if (b != 0x20 && b != 0x0a && b != 0x0d && b != 0x09) return false;
  }
  return true;
}

function excerpt(body: string): string {
  const text = body.trim();
  if (text.length == 0) return "(empty body)";
  return text.length > BODY_EXCERPT ? text.substring(0, BODY_EXCERPT) + "…" : text;
}

/**
 * A JSON API at a base URL: `api.get("/hosts", query)` reads `<base>/hosts?…` with the API's headers
 * (Accept: application/json, and whatever auth the plugin sets), `api.send("PUT", path, writer, etag)`
 * writes a JSON body with If-Match. Every way a request can go wrong is an ApiResponse error: unreachable
 * (the host's kind and message), 401/403 auth, another non-2xx runtime with the status and the body's
 * start, a 2xx body that is not JSON parser with the line and column.
 */
export class JsonApi {
  /** Sent with every request. */
  headers: Map<string, string> = new Map<string, string>();
  /**
   * Whether an answer's JSON is checked whole (grammar and UTF-8) before it is handed over, as `document.root()`
   * needs. A caller that reads the answer in one pass with `document.readerAt(0)`, and fails on `reader.failed`,
   * may turn it off and spare a pass over every byte.
   */
  checkAnswers: bool = true;

  constructor(public baseUrl: string) {
    this.headers.set("Accept", "application/json");
  }

  /** Sets a header sent with every request (Authorization…): its value never appears in a message. */
  header(name: string, value: string): JsonApi {
    this.headers.set(name, value);
    return this;
  }

  /** The URL of `path`: the base URL and the path with one '/' between; a whole URL (http://, https://) stands alone. */
  url(path: string, query: Query | null = null): string {
    let url: string;
    if (path.startsWith("http://") || path.startsWith("https://")) {
      url = path;
    } else {
      let base = this.baseUrl;
      while (base.endsWith("/")) base = base.substring(0, base.length - 1);
      url = path.length == 0 || path.startsWith("/") || path.startsWith("?") ? base + path : base + "/" + path;
    }
    return query === null ? url : query.appendTo(url);
  }

  get(path: string, query: Query | null = null): ApiResponse {
    return this.request("GET", this.url(path, query), null, "");
  }

  /** GET of a whole URL as it stands (a next-page link the API gave), with the API's headers. */
  getUrl(url: string): ApiResponse {
    return this.request("GET", url, null, "");
  }

  /** A request with a JSON body (the writer's bytes); `ifMatch` sends If-Match (an ETag read before) so a concurrent change is refused (412). */
  send(method: string, path: string, body: JsonWriter | null, ifMatch: string = ""): ApiResponse {
    return this.request(method, this.url(path), body === null ? null : body.toString(), ifMatch);
  }

  /**
   * Sends `get(path, query)` now without waiting for it: the next get() of the same path and query (in this call
   * or, for an import's next page, in the next call) takes its answer, so that the server's time overlaps the
   * plugin's work on the page it has. False when the host did not send it (the get() then sends it as usual).
   */
  prefetch(path: string, query: Query | null = null): bool {
    const bytes = String.UTF8.encode(this.envelope("GET", this.url(path, query), null, "").toJson());
    return host.http_prefetch(changetype<usize>(bytes), <u32>bytes.byteLength) == 1;
  }

  private envelope(method: string, url: string, body: string | null, ifMatch: string): HttpRequest {
    const headers = new Map<string, string>();
    const names = this.headers.keys();
    for (let i = 0; i < names.length; i++) headers.set(names[i], this.headers.get(names[i]));
    if (body !== null) headers.set("Content-Type", "application/json");
    if (ifMatch.length > 0) headers.set("If-Match", ifMatch);
    const envelope = new HttpRequest();
    envelope.method = method;
    envelope.url = url;
    envelope.headers = headers;
    if (body !== null) envelope.body = body;
    // The body comes apart, as bytes: a large JSON answer is not escaped into the envelope, nor decoded and encoded again.
    envelope.body_apart = true;
    return envelope;
  }

  private request(method: string, url: string, body: string | null, ifMatch: string): ApiResponse {
    const answer = new ApiResponse();
    answer.url = url;
    const response = send(this.envelope(method, url, body, ifMatch));
    const error = response.error;
    const what = method + " " + url;
    if (!response.ok || error !== null) {
      // The host's kinds: connection, timeout, permission (a host outside the allow-list), runtime.
      return answer.fail(error !== null ? error.kind : "connection", error !== null ? error.message : what + " failed");
    }
    if (response.url.length > 0) answer.url = response.url;
    answer.headers = response.headers;
    answer.status = response.status;
    const bytes = new ArrayBuffer(<i32>response.body_length);
    if (bytes.byteLength > 0) host.http_body(changetype<usize>(bytes), <u32>bytes.byteLength);
    answer.bytes = bytes;
    const status = response.status;
    if (status < 200 || status > 299) answer.body = String.UTF8.decode(bytes);
    if (status == 401 || status == 403) {
      return answer.fail("auth", what + " was refused with HTTP " + status.toString() + ": check the account's credentials");
    }
    if (status < 200 || status > 299) {
      return answer.fail("runtime", what + " answered HTTP " + status.toString() + ": " + excerpt(answer.body));
    }
    if (status == 204 || (method != "GET" && isBlank(bytes))) return answer;
    const document = new JsonDocument(bytes);
    const problem = this.checkAnswers ? document.check() : null;
    if (problem !== null) return answer.fail("parser", "the answer of " + what + " is not JSON: " + problem);
    answer.document = document;
    return answer;
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 with padding (RFC 4648), as HTTP basic auth wants it (RFC 7617). */
export function base64(bytes: Uint8Array): string {
  const out = new Array<string>();
  for (let i = 0; i < bytes.length; i += 3) {
    const left = bytes.length - i;
    const triple = (<u32>bytes[i] << 16) | (left > 1 ? <u32>bytes[i + 1] << 8 : 0) | (left > 2 ? <u32>bytes[i + 2] : 0);
    out.push(ALPHABET.charAt((triple >> 18) & 63));
    out.push(ALPHABET.charAt((triple >> 12) & 63));
    out.push(left > 1 ? ALPHABET.charAt((triple >> 6) & 63) : "=");
    out.push(left > 2 ? ALPHABET.charAt(triple & 63) : "=");
  }
  return out.join("");
}

/** `Basic <base64(username:password)>`, an Authorization header value. */
export function basicAuth(username: string, password: string): string {
  return "Basic " + base64(Uint8Array.wrap(String.UTF8.encode(username + ":" + password)));
}

/** The target of the rel="next" link in a Link header value (`<url>; rel="next", <url>; rel="last"`), or null. */
export function nextInLinkHeader(value: string): string | null {
  let at = 0;
  while (at < value.length) {
    const open = value.indexOf("<", at);
    if (open < 0) return null;
    const close = value.indexOf(">", open);
    if (close < 0) return null;
    const target = value.substring(open + 1, close).trim();
    // The link's parameters run up to the next link; a quoted parameter value may hold ',' or '<'.
    let end = close + 1;
    let quoted = false;
    while (end < value.length) {
      const c = value.charCodeAt(end);
      if (c == 0x22) quoted = !quoted;
      else if (!quoted && c == 0x2c) break;
      end++;
    }
    if (hasRelNext(value.substring(close + 1, end))) return target;
    at = end + 1;
  }
  return null;
}

// `; rel="next"`, `; rel=next` or `; rel="next last"`: rel holds space-separated relation types.
function hasRelNext(parameters: string): bool {
  const parts = parameters.split(";");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    const equals = part.indexOf("=");
    if (equals < 0 || part.substring(0, equals).trim().toLowerCase() != "rel") continue;
    let relations = part.substring(equals + 1).trim();
    if (relations.startsWith("\"") && relations.endsWith("\"") && relations.length >= 2) relations = relations.substring(1, relations.length - 1);
    const types = relations.split(" ");
    for (let j = 0; j < types.length; j++) if (types[j].toLowerCase() == "next") return true;
  }
  return false;
}

/** `reference` resolved against `base` (RFC 3986 §5.2, without dot-segment removal: the host's URL parser does that). */
export function resolveUrl(base: string, reference: string): string {
  if (hasScheme(reference)) return reference;
  const schemeEnd = base.indexOf("://");
  if (schemeEnd < 0) return reference;
  if (reference.startsWith("//")) return base.substring(0, schemeEnd + 1) + reference;
  const pathStart = indexOfAny(base, "/?#", schemeEnd + 3);
  const origin = pathStart < 0 ? base : base.substring(0, pathStart);
  if (reference.startsWith("/")) return origin + reference;
  const queryStart = indexOfAny(base, "?#", schemeEnd + 3);
  const withoutQuery = queryStart < 0 ? base : base.substring(0, queryStart);
  if (reference.startsWith("?")) return withoutQuery + reference;
  const path = withoutQuery.substring(origin.length);
  const directory = path.substring(0, path.lastIndexOf("/") + 1);
  return origin + (directory.length == 0 ? "/" : directory) + reference;
}

function hasScheme(reference: string): bool {
  for (let i = 0; i < reference.length; i++) {
    const c = reference.charCodeAt(i);
    if (c == 0x3a) return i > 0;
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    if (!letter && !(i > 0 && ((c >= 0x30 && c <= 0x39) || c == 0x2b || c == 0x2d || c == 0x2e))) return false;
  }
  return false;
}

function indexOfAny(text: string, characters: string, from: i32): i32 {
  for (let i = from; i < text.length; i++) if (characters.includes(text.charAt(i))) return i;
  return -1;
}
