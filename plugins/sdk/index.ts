// The Syncer plugin SDK for AssemblyScript (ABI v1). A plugin imports from here and writes business
// logic only: read the request, do the work, write a response or fail with a kind.
import { JSON } from "json-as";
import * as host from "./host";

export { JSON };

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

/** The raw request JSON of this call. */
export function inputString(): string {
  const length = host.input_length();
  const buffer = new ArrayBuffer(<i32>length);
  host.input_read(changetype<usize>(buffer), length);
  return String.UTF8.decode(buffer);
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

/** Sets the response to value, serialised as JSON. */
export function output<T>(value: T): void {
  outputString(JSON.stringify<T>(value));
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
