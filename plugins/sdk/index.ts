// The Syncer plugin SDK for AssemblyScript (ABI v1). A plugin imports from here and writes business
// logic only: read the request, do the work, write a response or fail with a kind.
import { JSON } from "json-as";
import * as host from "./host";

export { JSON };
export { ByteBuffer } from "./byte-buffer";
export { JsonWriter } from "./json-writer";
export { JsonReader, JsonKind, JSON_MAX_DEPTH } from "./json-reader";
export { FileWindow } from "./file-window";
export { isValidUtf8, writeUtf8 } from "./utf8-bytes";

// ---------------------------------------------------------------- bytes and strings

/** UTF-8 bytes of a string (AssemblyScript strings are UTF-16 inside). */
export function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

@inline function ptrOf(bytes: ArrayBuffer): usize {
  return changetype<usize>(bytes);
}

@inline function lenOf(bytes: ArrayBuffer): u32 {
  return <u32>bytes.byteLength;
}

function readResult(length: u32): string {
  if (length == 0) return "";
  const buffer = new ArrayBuffer(<i32>length);
  host.result_read(changetype<usize>(buffer), length);
  return String.UTF8.decode(buffer);
}

// ---------------------------------------------------------------- request and response

/** The account a call runs for; options are typed and resolved by the host (custom field > env > config > default). */
@json
export class Account {
  name: string = "";
  address: string = "";
  username: string = "";
  password: string = "";
  options: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();
  custom_fields: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();

  /** A string option, or `fallback` when unset. */
  optionString(name: string, fallback: string = ""): string {
    return optionString(this.options, name, fallback);
  }
  optionInt(name: string, fallback: i64 = 0): i64 {
    return optionInt(this.options, name, fallback);
  }
  optionBool(name: string, fallback: bool = false): bool {
    return optionBool(this.options, name, fallback);
  }
  optionList(name: string): string[] {
    return optionList(this.options, name);
  }
}

function optionRaw(options: Map<string, JSON.Raw>, name: string): string | null {
  if (!options.has(name)) return null;
  const text = options.get(name).data;
  return text == "null" ? null : text;
}
function optionString(options: Map<string, JSON.Raw>, name: string, fallback: string): string {
  const raw = optionRaw(options, name);
  return raw === null ? fallback : JSON.parse<string>(raw);
}
function optionInt(options: Map<string, JSON.Raw>, name: string, fallback: i64): i64 {
  const raw = optionRaw(options, name);
  return raw === null ? fallback : JSON.parse<i64>(raw);
}
function optionBool(options: Map<string, JSON.Raw>, name: string, fallback: bool): bool {
  const raw = optionRaw(options, name);
  return raw === null ? fallback : JSON.parse<bool>(raw);
}
function optionList(options: Map<string, JSON.Raw>, name: string): string[] {
  const raw = optionRaw(options, name);
  return raw === null ? [] : JSON.parse<string[]>(raw);
}

/** What every export receives (ABI v1). `input` is the command's own input, kept as raw JSON: parse it with inputAs<T>(). */
@json
export class Request {
  api_version: i32 = 0;
  plugin: string = "";
  command: string = "";
  account: Account | null = null;
  /** The resolved options: the account's, or for a call without an account the plugin's ([plugins.<ident>], env, defaults). */
  options: Map<string, JSON.Raw> = new Map<string, JSON.Raw>();
  dry_run: bool = false;
  input: JSON.Raw = new JSON.Raw("null");

  optionString(name: string, fallback: string = ""): string {
    return optionString(this.options, name, fallback);
  }
  optionInt(name: string, fallback: i64 = 0): i64 {
    return optionInt(this.options, name, fallback);
  }
  optionBool(name: string, fallback: bool = false): bool {
    return optionBool(this.options, name, fallback);
  }
  optionList(name: string): string[] {
    return optionList(this.options, name);
  }

  /** The command's input parsed into T. */
  inputAs<T>(): T {
    return JSON.parse<T>(this.input.data);
  }
}

/** The request of this call. */
export function request(): Request {
  return JSON.parse<Request>(inputString());
}

/** The raw request JSON of this call. */
export function inputString(): string {
  const length = host.input_length();
  const buffer = new ArrayBuffer(<i32>length);
  host.input_read(changetype<usize>(buffer), length);
  return String.UTF8.decode(buffer);
}

/** The raw request as UTF-8 bytes, not decoded: for JsonReader.fromBytes() on large requests. */
export function inputBytes(): ArrayBuffer {
  const length = host.input_length();
  const buffer = new ArrayBuffer(<i32>length);
  host.input_read(changetype<usize>(buffer), length);
  return buffer;
}

/** The request, parsed into T (a @json class; usually Request<YourInput>). */
export function input<T>(): T {
  return JSON.parse<T>(inputString());
}

/** Sets the response to a string taken as-is (it must be JSON). */
export function outputString(json: string): void {
  const bytes = utf8(json);
  host.output_write(ptrOf(bytes), lenOf(bytes));
}

/** Sets the response to bytes taken as-is (UTF-8 JSON), without a string in between. */
export function outputBytes(bytes: ArrayBuffer): void {
  host.output_write(ptrOf(bytes), lenOf(bytes));
}

/** Sets the response to value, serialised as JSON. */
export function output<T>(value: T): void {
  outputString(JSON.stringify<T>(value));
}

// ---------------------------------------------------------------- handed-over file

export namespace file {
  /** Whether the host handed a file to this call (the command declares a file_option and the account sets it). */
  export function present(): bool {
    return host.file_length() >= 0;
  }
  /** The whole handed-over file as bytes (empty when there is none). Plugins have no filesystem: the host reads it. */
  export function bytes(): ArrayBuffer {
    const length = host.file_length();
    if (length <= 0) return new ArrayBuffer(0);
    const buffer = new ArrayBuffer(length);
    host.file_read(0, changetype<usize>(buffer), <u32>length);
    return buffer;
  }
}

// ---------------------------------------------------------------- errors

/** Error kinds a plugin reports (ABI v1). */
export namespace ErrorKind {
  export const Options = "options";
  export const Connection = "connection";
  export const Auth = "auth";
  export const Parser = "parser";
  export const Runtime = "runtime";
}

@json
class ErrorEnvelope {
  kind: string = "";
  message: string = "";
}

/** Sets the call's error and returns the non-zero code an export returns with it: `return fail(...)`. */
export function fail(kind: string, message: string): i32 {
  const envelope = new ErrorEnvelope();
  envelope.kind = kind;
  envelope.message = message;
  const bytes = utf8(JSON.stringify(envelope));
  host.error_write(ptrOf(bytes), lenOf(bytes));
  return 1;
}

// ---------------------------------------------------------------- log

function logAt(level: u32, message: string): void {
  const bytes = utf8(message);
  host.log_write(level, ptrOf(bytes), lenOf(bytes));
}

export namespace log {
  export function debug(message: string): void {
    logAt(0, message);
  }
  export function info(message: string): void {
    logAt(1, message);
  }
  export function warn(message: string): void {
    logAt(2, message);
  }
  export function error(message: string): void {
    logAt(3, message);
  }
}

// ---------------------------------------------------------------- http

@json
export class HttpError {
  kind: string = "";
  message: string = "";
}

/** The answer to an HTTP request: `ok` false means it could not be made (see error); HTTP errors have ok true and their status. */
@json
export class HttpResponse {
  ok: bool = false;
  @optional status: i32 = 0;
  @optional headers: Map<string, string> = new Map<string, string>();
  @optional body: string = "";
  @optional body_base64: string = "";
  @optional url: string = "";
  @optional attempts: i32 = 0;
  @optional error: HttpError | null = null;
}

@json
class HttpRequestEnvelope {
  method: string = "GET";
  url: string = "";
  headers: Map<string, string> = new Map<string, string>();
  @omitnull() body: string | null = null;
}

export namespace http {
  /**
   * Sends a request through the host: only to the account's address host and the hosts the manifest
   * lists, with the account's timeout, retries and TLS settings. In a dry run, non-GET requests are not sent.
   */
  export function request(method: string, url: string, headers: Map<string, string> | null = null, body: string | null = null): HttpResponse {
    const envelope = new HttpRequestEnvelope();
    envelope.method = method;
    envelope.url = url;
    if (headers !== null) envelope.headers = headers;
    envelope.body = body;
    const bytes = utf8(JSON.stringify(envelope));
    return JSON.parse<HttpResponse>(readResult(host.http_request(ptrOf(bytes), lenOf(bytes))));
  }
  export function get(url: string, headers: Map<string, string> | null = null): HttpResponse {
    return request("GET", url, headers, null);
  }
}

// ---------------------------------------------------------------- key-value cache

export { kv } from "./kv";

// ---------------------------------------------------------------- events

export namespace events {
  /** Emits an event; `dataJson` is the event's data as JSON text. */
  export function emit(type: string, dataJson: string = "null"): void {
    const bytes = utf8('{"type":' + JSON.stringify(type) + ',"data":' + dataJson + "}");
    host.event_emit(ptrOf(bytes), lenOf(bytes));
  }
}

// ---------------------------------------------------------------- hosts

export namespace hosts {
  /** Reads hosts from the inventory; `queryJson` is {hostnames?, account?, after?, limit?}. Returns {hosts, next} as JSON text. */
  export function read(queryJson: string): string {
    const bytes = utf8(queryJson);
    return readResult(host.hosts_read(ptrOf(bytes), lenOf(bytes)));
  }
}
