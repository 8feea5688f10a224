import type { PluginError } from "../../core/errors.ts";
/**
 * The sandbox process (`syncer __sandbox`, hidden): hosts one plugin's module for the daemon. It
 * compiles the module once, keeps one Extism instance (foreground mode, reset after every call,
 * replaced after a trap or when a call left it large) and answers calls one at a time over
 * stdin/stdout frames. Time limits are the daemon's job: it SIGKILLs this process when a call overruns.
 * It opens no database: a page of hosts arrives in its call's request, and the plugin's cache, events
 * and host reads are asked of the daemon (daemon-link.ts).
 */
import createPlugin from "@extism/extism";
import { redact, registerSecret } from "../../core/redact.ts";
import { checkAnswer, type AnswerFacts } from "../answers.ts";
import { PageHostnames } from "../host-keyed.ts";
import { SyncHttp } from "../host/http-bridge.ts";
import { BASE_FUNCTIONS, HOST_MODULE, hostFunctions, newCallState, PERMISSION_FUNCTIONS, type CallState } from "../host/functions.ts";
import { KernelOverflow } from "../host/kernel-overflow.ts";
import { pluginFrames, trapFunctionNames } from "../host/wasm-frames.ts";
import type { Manifest } from "../manifest/schema.ts";
import { capMemory } from "../wasm/memory-limit.ts";
import type { CallMessage, Confinement, FileMessage, LoadMessage, ResultMessage, ToSandbox } from "../protocol.ts";
import { DaemonLink, StdioFrames } from "./daemon-link.ts";
import type { Frame } from "./frames.ts";
import { readyChannel } from "./linux.ts";

/** An instance that grew past this after a call is replaced: cheaper than carrying a large heap forward. */
const RECYCLE_BYTES = 32 * 1024 * 1024;
/** The channels' room asked for: Linux's default most for a pipe (/proc/sys/fs/pipe-max-size) for an unprivileged process. */
const PIPE_BYTES = 1024 * 1024;

const EXTISM_KERNEL = "extism:host/env";

type ExtismPlugin = Awaited<ReturnType<typeof createPlugin>>;

interface Loaded {
  ident: string;
  module: WebAssembly.Module;
  maxBytes: number;
  functions: ReturnType<typeof hostFunctions>;
  usesExtismKernel: boolean;
  /** Extism's kernel stores, tolerant of the AssemblyScript PDK's non-ASCII output (see kernel-overflow.ts). */
  kernelOverflow: KernelOverflow;
  instance?: { plugin: ExtismPlugin; memory: WebAssembly.Memory; exports: Record<string, unknown> };
  http: SyncHttp;
}

class LoadError extends Error {
  constructor(readonly error: PluginError) {
    super(error.message);
  }
}

/** Extism's own warnings must not reach stdout, which carries frames. */
const quietLogger = Object.assign(Object.create(console), {
  log: (...args: unknown[]) => console.error(...args),
  info: (...args: unknown[]) => console.error(...args),
  debug: () => {},
  trace: () => {},
}) as Console;

/** Checks what the module imports against what the manifest grants; nothing else is linked. */
function checkImports(ident: string, module: WebAssembly.Module, permissions: Manifest["permissions"]): boolean {
  const granted = new Set<string>(BASE_FUNCTIONS);
  for (const [permission, names] of Object.entries(PERMISSION_FUNCTIONS)) {
    if (permissions[permission as keyof typeof PERMISSION_FUNCTIONS]) for (const name of names) granted.add(name);
  }
  const needs = Object.fromEntries(Object.entries(PERMISSION_FUNCTIONS).flatMap(([permission, names]) => names.map((name) => [name, permission])));
  let usesExtismKernel = false;
  for (const entry of WebAssembly.Module.imports(module)) {
    const name = `${entry.module}.${entry.name}`;
    if (entry.module === HOST_MODULE && entry.kind === "function") {
      if (granted.has(entry.name)) continue;
      const permission = needs[entry.name];
      throw new LoadError(
        permission
          ? { kind: "permission", message: `plugin ${ident} imports ${name}, which needs the '${permission}' permission in its plugin.json` }
          : { kind: "abi", message: `plugin ${ident} imports ${name}, which ABI v1 does not have` },
      );
    }
    if (entry.module === "env" && entry.name === "abort") continue;
    if (entry.module === EXTISM_KERNEL) {
      if (entry.name === "http_request") throw new LoadError({ kind: "abi", message: `plugin ${ident} imports Extism's http_request; use ${HOST_MODULE}.http, which enforces the allow-list` });
      usesExtismKernel = true;
      continue;
    }
    if (entry.module.startsWith("wasi")) throw new LoadError({ kind: "abi", message: `plugin ${ident} imports ${name}: plugins run without WASI (no files, no clock, no sockets)` });
    throw new LoadError({ kind: "abi", message: `plugin ${ident} imports ${name} (${entry.kind}), which syncer does not provide` });
  }
  if (!WebAssembly.Module.exports(module).some((entry) => entry.name === "memory" && entry.kind === "memory")) {
    throw new LoadError({ kind: "abi", message: `plugin ${ident} does not export its memory` });
  }
  return usesExtismKernel;
}

function load(message: LoadMessage, wasm: Uint8Array, io: StdioFrames): Loaded {
  let module: WebAssembly.Module;
  let maxBytes: number;
  try {
    const capped = capMemory(wasm, message.maxPages);
    module = new WebAssembly.Module(capped.bytes);
    maxBytes = capped.maxPages * 65536;
  } catch (error) {
    throw new LoadError({ kind: "abi", message: `plugin ${message.ident}: not a usable WebAssembly module: ${error instanceof Error ? error.message : String(error)}` });
  }
  const usesExtismKernel = checkImports(message.ident, module, message.permissions);
  const needsData = Boolean(message.permissions.kv || message.permissions.events || message.permissions.hosts);
  const loaded: Loaded = {
    ident: message.ident,
    module,
    maxBytes,
    usesExtismKernel,
    kernelOverflow: new KernelOverflow(),
    http: new SyncHttp(),
    functions: {} as Loaded["functions"],
  };
  loaded.functions = hostFunctions({
    ident: message.ident,
    permissions: message.permissions,
    maxOutputBytes: message.maxOutputBytes,
    state: () => current!,
    memory: () => loaded.instance!.memory,
    http: loaded.http,
    data: needsData ? new DaemonLink(io, () => current!.id) : undefined,
    readFile: readHandedFile,
  });
  if (usesExtismKernel) Object.assign(loaded.functions, { [EXTISM_KERNEL]: loaded.kernelOverflow.functions() });
  return loaded;
}

let current: (CallState & { id: number }) | undefined;

/**
 * The last file the daemon handed over (FileMessage), kept until it sends another: an import reads
 * the same file once per page, and the daemon sends it again only when it changed.
 */
let handedFile: { path: string; bytes: Uint8Array } | { path: string; error: string } | undefined;

function readHandedFile(path: string): Uint8Array {
  if (handedFile?.path !== path) throw new Error("the daemon did not hand it over");
  if ("error" in handedFile) throw new Error(handedFile.error);
  return handedFile.bytes;
}

function receiveFile(message: FileMessage, bytes: Uint8Array): void {
  handedFile = message.error === undefined ? { path: message.path, bytes } : { path: message.path, error: message.error };
}

async function instanceOf(loaded: Loaded): Promise<NonNullable<Loaded["instance"]>> {
  if (loaded.instance) return loaded.instance;
  const plugin = await createPlugin({ wasm: [{ module: loaded.module }] }, { useWasi: false, runInWorker: false, functions: loaded.functions as never, logger: quietLogger });
  const { exports } = await plugin.getInstance();
  loaded.instance = { plugin, memory: exports.memory as WebAssembly.Memory, exports };
  return loaded.instance;
}

/**
 * AssemblyScript's allocators execute `unreachable` when memory.grow fails, while the plugin's own failures
 * go through abort with a message. So an unexplained `unreachable` with memory past half the limit is taken
 * as running out of memory (the failed allocation may have been large); any trap this near the limit too.
 */
const UNREACHABLE_OOM_SHARE = 1 / 2;
const NEAR_LIMIT = 7 / 8;

/** Names what went wrong when the call threw: an abort with its message, running out of memory, or a trap. */
function classifyThrow(loaded: Loaded, state: CallState, thrown: unknown, memoryBytes: number): PluginError {
  const text = thrown instanceof Error ? thrown.message : String(thrown);
  const nearLimit = memoryBytes >= loaded.maxBytes * NEAR_LIMIT;
  if (state.abort) {
    const { message, file, line, column, caller, callee } = state.abort;
    const outOfMemory = /allocation|out of memory/i.test(message) && nearLimit;
    return {
      kind: outOfMemory ? "oom" : "trap",
      message: `${outOfMemory ? "out of memory: " : "aborted: "}${message || "(no message)"}${file ? ` at ${file}:${line}:${column}` : ""}${caller ? `, called from ${caller}` : ""}`,
      details: { file, line, column, ...(caller ? { caller } : {}), ...(callee ? { callee } : {}) },
    };
  }
  const unexplainedUnreachable = /unreachable/i.test(text) && !state.error && memoryBytes >= loaded.maxBytes * UNREACHABLE_OOM_SHARE;
  if (nearLimit || unexplainedUnreachable || /out of memory/i.test(text)) {
    const used = (memoryBytes / 1048576).toFixed(0);
    return { kind: "oom", message: `out of memory: the plugin could not allocate more (${used} MiB in use, limit ${loaded.maxBytes / 1048576} MiB)` };
  }
  if (/call stack/i.test(text)) return { kind: "trap", message: `stack overflow: ${text}` };
  if (state.error) return state.error;
  // Extism reports a plugin's own error_set as a thrown Error with that message.
  if (!(thrown instanceof WebAssembly.RuntimeError) && loaded.usesExtismKernel && !/unreachable|out of bounds|wasm/i.test(text)) {
    return { kind: "runtime", message: redact(text) };
  }
  // The plugin's function the engine stopped in, where the module names it: the daemon adds where it begins (abort-location.ts).
  const { caller } = pluginFrames(trapFunctionNames(thrown));
  return { kind: "trap", message: `trap: ${text.replace(/ \(evaluating '.*'\)$/, "")}${caller ? `, in ${caller}` : ""}`, ...(caller ? { details: { caller } } : {}) };
}

/** The result of a call that failed before the plugin ran. */
const failedBeforeCall = (id: number, error: PluginError): ResultMessage => ({ type: "result", id, ok: false, error, logs: [], droppedLogs: 0, stats: { ms: 0, memoryBytes: 0 } });


async function call(loaded: Loaded, message: CallMessage, frame: Frame): Promise<{ header: ResultMessage; output?: Uint8Array | Uint8Array[] }> {
  const input = frame.sections.request ?? new Uint8Array(0);
  // The secrets this call was given: every text the plugin produces is redacted with them before it leaves or is stored.
  for (const secret of message.context.secrets ?? []) registerSecret(secret);
  const state = (current = { ...newCallState(input, message.context), id: message.id });
  const started = performance.now();
  let error: PluginError | undefined;
  let answer: Uint8Array | undefined;
  let payload: Uint8Array[] | undefined;
  let memoryBytes = 0;
  try {
    const instance = await instanceOf(loaded);
    try {
      let output: Uint8Array | undefined;
      if (loaded.usesExtismKernel) {
        // An Extism-PDK plugin: input, output and errors through Extism's kernel (its return code is not reported).
        // A copy: Extism's kernel reads a view's whole underlying buffer, ignoring its offset, and the
        // request is a view into the frame it arrived in.
        loaded.kernelOverflow.reset();
        output = loaded.kernelOverflow.outputOf((await instance.plugin.call(message.export, input.slice()))?.bytes());
        await instance.plugin.reset();
      } else {
        // An SDK plugin talks only to syncer:v1: call the export itself, so its return code is seen.
        const exported = instance.exports[message.export];
        if (typeof exported !== "function") {
          const names = Object.keys(instance.exports).filter((name) => typeof instance.exports[name] === "function");
          throw new LoadError({ kind: "abi", message: `plugin ${loaded.ident} has no export '${message.export}' (it has: ${names.join(", ")})` });
        }
        const code = Number((exported as () => unknown)());
        if (code !== 0 && !state.error) state.error = { kind: "runtime", message: `${message.export} returned ${code} without reporting an error` };
      }
      memoryBytes = instance.memory.buffer.byteLength;
      error = state.error ?? undefined;
      answer = state.output ?? output;
      if (!error && memoryBytes > RECYCLE_BYTES) loaded.instance = undefined;
    } catch (thrown) {
      if (thrown instanceof LoadError) throw thrown;
      memoryBytes = instance.memory.buffer.byteLength;
      error = classifyThrow(loaded, state, thrown, memoryBytes);
      loaded.instance = undefined; // a trapped instance may be in any state: never reuse it
    }
  } catch (thrown) {
    error = thrown instanceof LoadError ? thrown.error : { kind: "abi", message: `plugin ${loaded.ident}: cannot instantiate: ${thrown instanceof Error ? thrown.message : String(thrown)}` };
  }
  const ms = performance.now() - started;
  let facts: AnswerFacts | undefined;
  if (!error && message.context.answer) {
    const checked = checkAnswer(answer ?? new Uint8Array(0), loaded.ident, message.export, message.context.answer, new PageHostnames(frame.sections.hostnames));
    if (checked.ok) ({ facts, payload } = checked);
    else error = checked.error;
  }
  const header: ResultMessage = {
    type: "result",
    id: message.id,
    ok: !error,
    error,
    logs: state.logs,
    droppedLogs: state.droppedLogs,
    stats: { ms, memoryBytes },
    facts,
  };
  current = undefined;
  return { header, output: error ? undefined : (payload ?? answer) };
}

/** The sandbox's main loop, in the confined start (main.ts confines the first and starts again): frames in on stdin, frames out on stdout, until the daemon closes stdin. */
export async function runSandbox(confinement: Confinement): Promise<void> {
  // An answer of a page of hosts (~1 MB) fits in the channel whole: it crosses while the daemon is
  // busy, instead of a fraction each time both sides come round.
  readyChannel(0, PIPE_BYTES);
  readyChannel(1, PIPE_BYTES);
  // stdout carries frames: anything printed by accident goes to stderr instead.
  console.log = console.info = console.error;
  const io = new StdioFrames();
  let loaded: Loaded | undefined;
  /** Why the plugin could not load: the answer to every call sent along with the module. */
  let loadFailure: PluginError = { kind: "abi", message: "no plugin loaded" };
  for (let frame = io.next(); frame; frame = io.next()) {
    const message = frame.header as ToSandbox;
    if (message.type === "load") {
      try {
        loaded = load(message, frame.sections.module ?? new Uint8Array(0), io);
        // The HTTP worker's thread boots while the module is instantiated and the first call is on its way.
        if (message.permissions.http) loaded.http.warm();
        await instanceOf(loaded);
        io.send({ type: "loaded", ok: true, exports: WebAssembly.Module.exports(loaded.module).map((entry) => entry.name), confinement });
      } catch (error) {
        loaded = undefined;
        loadFailure = error instanceof LoadError ? error.error : { kind: "abi", message: error instanceof Error ? error.message : String(error) };
        io.send({ type: "loaded", ok: false, error: loadFailure, exports: [], confinement });
      }
    } else if (message.type === "file") {
      receiveFile(message, frame.sections.file ?? new Uint8Array(0));
    } else if (message.type === "host_answer") {
      // Only a host call waits for one, and it reads its own: one here answers nothing.
      console.error(`sandbox: an answer from the daemon arrived with no host call waiting for it`);
    } else if (!loaded) {
      io.send(failedBeforeCall(message.id, loadFailure));
    } else {
      const { header, output } = await call(loaded, message, frame);
      io.send(header, { output });
      // An instance the call left to be replaced (grown large, or trapped) is made now, while the daemon takes
      // the answer and sends the next call, instead of when that call arrives. One that cannot be made is
      // made again, and its error reported, by the call that needs it.
      if (!loaded.instance) await instanceOf(loaded).catch(() => undefined);
    }
  }
  loaded?.http.close();
}
