import * as v from "valibot";
import type { PluginErrorKind, PluginError } from "../../core/errors.ts";
import { redact, redactJson } from "../../core/redact.ts";
import { ErrorEnvelopeSchema, EventSchema, HostsReadSchema, HttpRequestSchema, KvFlushSchema, KvGetSchema, KvKeysSchema, KvSetSchema } from "../abi.ts";
import type { Manifest } from "../manifest/schema.ts";
import type { CallContext, LogLine } from "../protocol.ts";
import type { SyncHttp } from "./http-bridge.ts";
import type { PluginData } from "./plugin-data.ts";
import { pluginFrames, wasmFunctionNames } from "./wasm-frames.ts";

/** Per-call limits on what a plugin can pile up in the host. */
const MAX_LOG_LINES = 1000;
const MAX_LOG_LINE_BYTES = 8 * 1024;
const MAX_EVENTS = 1000;

/** Kinds a plugin may report itself; anything else it sends becomes "runtime". */
const PLUGIN_REPORTED = new Set<string>(["options", "connection", "auth", "parser", "runtime"]);

/** What one call has done so far, as seen by the host functions. */
export interface CallState {
  input: Uint8Array;
  context: CallContext;
  output: Uint8Array | null;
  error: PluginError | null;
  /**
   * `caller`: for an abort in AssemblyScript's library, the plugin's function that led to it, if the module
   * names it; `callee`: the library function it called (none when the library code was inlined into it).
   */
  abort: { message: string; file: string; line: number; column: number; caller?: string; callee?: string } | null;
  logs: LogLine[];
  droppedLogs: number;
  events: number;
  /** The result of the last host call that returned a length, for result_read. */
  pending: Uint8Array;
  /** The body of the call's last HTTP answer asked for apart (body_apart), for http_body. */
  httpBody: Uint8Array;
}

export function newCallState(input: Uint8Array, context: CallContext): CallState {
  return { input, context, output: null, error: null, abort: null, logs: [], droppedLogs: 0, events: 0, pending: new Uint8Array(0), httpBody: new Uint8Array(0) };
}

export interface HostEnvironment {
  ident: string;
  permissions: Manifest["permissions"];
  maxOutputBytes: number;
  state(): CallState;
  memory(): WebAssembly.Memory;
  http: SyncHttp;
  /** The plugin's cache, events and host reads: kept by the daemon, asked for over the pipe. */
  data: PluginData | undefined;
  /** The bytes of a file handed over to the call (cached across calls by the sandbox). */
  readFile(path: string): Uint8Array;
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8");
const utf16 = new TextDecoder("utf-16le");
const LEVELS = ["debug", "info", "warn", "error"] as const;

/** Which host functions each permission links; the rest are linked for every plugin. */
export const PERMISSION_FUNCTIONS = { http: ["http", "http_body", "http_prefetch"], kv: ["kv_get", "kv_set", "kv_contains", "kv_keys", "kv_delete", "kv_flush"], events: ["event_emit"], hosts: ["hosts_read"] } as const;
export const BASE_FUNCTIONS = ["input_length", "input_read", "output_write", "error_write", "log", "result_read", "file_length", "file_read"] as const;
export const HOST_MODULE = "syncer:v1";

/**
 * Where a call's output is copied to (output_write): one buffer for all calls, grown when needed. A
 * sandbox process sends a call's answer before it begins the next, so reusing it leaves nothing
 * behind, and a page's answer of a megabyte costs no new memory each time.
 */
let outputBuffer = new Uint8Array(0);

function keptOutput(view: Uint8Array): Uint8Array {
  if (outputBuffer.byteLength < view.byteLength) outputBuffer = new Uint8Array(Math.max(view.byteLength, outputBuffer.byteLength * 2));
  outputBuffer.set(view);
  return outputBuffer.subarray(0, view.byteLength);
}

/**
 * The host functions of ABI v1 for one plugin instance. Only what the manifest grants is linked, so a
 * plugin importing more fails to load with a clear message (see load.ts). None of them throws into the
 * plugin: a bad pointer or a bad request sets the call's error or returns an error envelope.
 */
export function hostFunctions(env: HostEnvironment): Record<string, Record<string, (...args: never[]) => unknown>> {
  const bytesAt = (ptr: number, len: number): Uint8Array => new Uint8Array(env.memory().buffer, ptr >>> 0, len >>> 0);
  const setError = (kind: PluginErrorKind, message: string) => {
    env.state().error ??= { kind, message };
  };
  /** Runs a host function body; a fault (bad pointer, bad JSON) becomes the call's error, never a throw. */
  const guarded =
    <A extends unknown[], R>(name: string, fallback: R, body: (...args: A) => R) =>
    (_context: unknown, ...args: A): R => {
      try {
        return body(...args);
      } catch (error) {
        setError("abi", `${name}: ${error instanceof Error ? error.message : String(error)}`);
        return fallback;
      }
    };
  /** Decodes a plugin's JSON request to a host function, checked against its ABI schema. */
  const request = <S extends v.GenericSchema>(schema: S, ptr: number, len: number): v.InferOutput<S> => {
    const parsed = v.safeParse(schema, JSON.parse(utf8.decode(bytesAt(ptr, len))));
    if (!parsed.success) throw new Error(`invalid request: ${v.summarize(parsed.issues).replace(/\n/g, "; ")}`);
    return parsed.output;
  };
  /** Hands a JSON answer back: the plugin reads it with result_read(ptr, returned length). */
  const answer = (value: unknown): number => {
    const bytes = encoder.encode(JSON.stringify(value));
    env.state().pending = bytes;
    return bytes.byteLength;
  };

  /** The call's handed-over file; a file that cannot be read is the call's error (kind options: the account names it). */
  const handedFile = (): Uint8Array | undefined => {
    const path = env.state().context.file;
    if (!path) return undefined;
    try {
      return env.readFile(path);
    } catch (error) {
      setError("options", `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };

  const functions: Record<string, (...args: never[]) => unknown> = {
    input_length: guarded("input_length", 0, () => env.state().input.byteLength),
    input_read: guarded("input_read", undefined, (ptr: number, len: number) => {
      bytesAt(ptr, len).set(env.state().input.subarray(0, len >>> 0));
    }),
    output_write: guarded("output_write", undefined, (ptr: number, len: number) => {
      if (len >>> 0 > env.maxOutputBytes) {
        setError("abi", `the response of ${((len >>> 0) / 1048576).toFixed(1)} MiB is over the limit of ${env.maxOutputBytes / 1048576} MiB; return large results in pages`);
        return;
      }
      env.state().output = keptOutput(bytesAt(ptr, len));
    }),
    error_write: guarded("error_write", undefined, (ptr: number, len: number) => {
      const envelope = request(ErrorEnvelopeSchema, ptr, len);
      const kind = (PLUGIN_REPORTED.has(envelope.kind) ? envelope.kind : "runtime") as PluginErrorKind;
      env.state().error = { kind, message: redact(envelope.message) };
    }),
    log: guarded("log", undefined, (level: number, ptr: number, len: number) => {
      const state = env.state();
      if (state.logs.length >= MAX_LOG_LINES) {
        state.droppedLogs++;
        return;
      }
      const text = utf8.decode(bytesAt(ptr, Math.min(len >>> 0, MAX_LOG_LINE_BYTES)));
      state.logs.push({ level: LEVELS[level] ?? "info", message: redact(text) });
    }),
    result_read: guarded("result_read", undefined, (ptr: number, len: number) => {
      bytesAt(ptr, len).set(env.state().pending.subarray(0, len >>> 0));
    }),
    file_length: guarded("file_length", -1, () => handedFile()?.byteLength ?? -1),
    file_read: guarded("file_read", 0, (offset: number, ptr: number, len: number) => {
      const file = handedFile();
      if (!file) return 0;
      const chunk = file.subarray(Math.min(offset >>> 0, file.byteLength), Math.min((offset >>> 0) + (len >>> 0), file.byteLength));
      bytesAt(ptr, chunk.byteLength).set(chunk);
      return chunk.byteLength;
    }),
  };

  const granted = env.permissions;
  if (granted.http) {
    functions.http = guarded("http", 0, (ptr: number, len: number) => {
      const state = env.state();
      const policy = state.context.http;
      if (!policy) return answer({ ok: false, error: { kind: "permission", message: "HTTP is not available for this call" } });
      const parsed = v.safeParse(HttpRequestSchema, JSON.parse(utf8.decode(bytesAt(ptr, len))));
      if (!parsed.success) return answer({ ok: false, error: { kind: "runtime", message: `invalid HTTP request: ${v.summarize(parsed.issues)}` } });
      const { body_apart: apart, ...sent } = parsed.output;
      const { result, logs } = env.http.request(sent, apart ? { ...policy, bodyBytes: true } : policy, state.context.debug);
      for (const line of logs) if (state.logs.length < MAX_LOG_LINES) state.logs.push({ level: "debug", message: line });
      if (!apart || !result.ok) return answer(result);
      const { body, body_base64: base64, bytes, ...rest } = result;
      state.httpBody = bytes ?? (base64 ? Buffer.from(base64, "base64") : encoder.encode(body));
      return answer({ ...rest, body: "", body_length: state.httpBody.byteLength });
    });
    functions.http_body = guarded("http_body", undefined, (ptr: number, len: number) => {
      bytesAt(ptr, len).set(env.state().httpBody.subarray(0, len >>> 0));
    });
    // A GET sent now and answered later: the next `http` call of the same request (this call's or a later
    // one's, under the same policy) takes its answer instead of sending it. 1 when it was sent, else 0.
    functions.http_prefetch = guarded("http_prefetch", 0, (ptr: number, len: number) => {
      const state = env.state();
      const policy = state.context.http;
      const parsed = v.safeParse(HttpRequestSchema, JSON.parse(utf8.decode(bytesAt(ptr, len))));
      if (!policy || !parsed.success) return 0;
      const { body_apart: apart, ...sent } = parsed.output;
      return env.http.prefetch(sent, apart ? { ...policy, bodyBytes: true } : policy, state.context.debug) ? 1 : 0;
    });
  }
  if (granted.kv) {
    functions.kv_get = guarded("kv_get", -1, (ptr: number, len: number) => {
      const value = env.data!.kvGet(request(KvGetSchema, ptr, len).key);
      if (value === undefined) return -1;
      const bytes = encoder.encode(value);
      env.state().pending = bytes;
      return bytes.byteLength;
    });
    functions.kv_set = guarded("kv_set", 0, (ptr: number, len: number) => {
      const entry = request(KvSetSchema, ptr, len);
      env.data!.kvSet(entry.key, entry.value, entry.ttl_seconds);
      return 0;
    });
    // Answers 1 or 0; -1 when the request failed (the call's error says why).
    functions.kv_contains = guarded("kv_contains", -1, (ptr: number, len: number) => (env.data!.kvContains(request(KvGetSchema, ptr, len).key) ? 1 : 0));
    functions.kv_delete = guarded("kv_delete", -1, (ptr: number, len: number) => (env.data!.kvDelete(request(KvGetSchema, ptr, len).key) ? 1 : 0));
    functions.kv_keys = guarded("kv_keys", 0, (ptr: number, len: number) => answer(env.data!.kvKeys(request(KvKeysSchema, ptr, len))));
    functions.kv_flush = guarded("kv_flush", -1, (ptr: number, len: number) => env.data!.kvFlush(request(KvFlushSchema, ptr, len).prefix ?? ""));
  }
  if (granted.events) {
    functions.event_emit = guarded("event_emit", undefined, (ptr: number, len: number) => {
      const state = env.state();
      if (++state.events > MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} events in one call`);
      const event = request(EventSchema, ptr, len);
      env.data!.emitEvent(redact(event.type), redactJson(event.data ?? null));
    });
  }
  if (granted.hosts) {
    functions.hosts_read = guarded("hosts_read", 0, (ptr: number, len: number) => answer(env.data!.readHosts(request(HostsReadSchema, ptr, len))));
  }

  return {
    [HOST_MODULE]: functions,
    env: {
      // AssemblyScript's abort(message, file, line, column): strings are UTF-16LE with their byte length at ptr-4.
      // Record it; the plugin then executes `unreachable`, and the trap is reported with this message.
      abort: (_context: unknown, message: number, file: number, line: number, column: number) => {
        const text = (ptr: number) => {
          try {
            if (!ptr) return "";
            const memory = env.memory().buffer;
            const length = new DataView(memory).getUint32((ptr >>> 0) - 4, true);
            return utf16.decode(new Uint8Array(memory, ptr >>> 0, Math.min(length, 64 * 1024)));
          } catch {
            return "(unreadable)";
          }
        };
        const where = text(file);
        const frames = where.startsWith("~lib/") ? pluginFrames(wasmFunctionNames()) : {};
        env.state().abort = { message: redact(text(message)), file: where, line, column, ...frames };
      },
    },
  };
}
