/**
 * The plugin's own frame on the stack at an abort raised inside AssemblyScript's standard library
 * ("Index out of range" at ~lib/array.ts says nothing of where the plugin indexed).
 *
 * Bun's engine (JavaScriptCore) names a WebAssembly frame `.wasm-function[NAME]` in its call sites, NAME
 * taken from the module's `name` custom section, or the function's index when the module has none (then
 * nothing names the frame, and none is reported). A RuntimeError's own stack gives the same; the abort
 * host function is called before the trap, so the stack is read there. asc names a function by its
 * source path without extension (`~lib/array/Array<i32>#__get`, `src/index/import_hosts`); ASC_FLAGS'
 * --debug keeps those names in first-party and scaffolded plugins.
 */

const WASM_FRAME = /^\.wasm-function\[(.+)\]$/;
/** Enough frames to pass the host function's own and reach the plugin's through nested ~lib calls. */
const FRAMES_READ = 64;

/** The names of the WebAssembly functions on the current stack, innermost first (indices left out). */
export function wasmFunctionNames(): string[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = FRAMES_READ;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder);
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
  return namesOf(holder.stack);
}

/**
 * The names of the WebAssembly functions on the stack of a trap (a RuntimeError), innermost first. The
 * engine lays out an error's stack when it is first read: read before, it has no names to give.
 */
export function trapFunctionNames(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const { prepareStackTrace } = Error;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    return namesOf(error.stack);
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
  }
}

function namesOf(stack: unknown): string[] {
  const sites = Array.isArray(stack) ? (stack as { getFunctionName(): string | null }[]) : [];
  const names: string[] = [];
  for (const site of sites) {
    const name = WASM_FRAME.exec(site.getFunctionName() ?? "")?.[1];
    if (name !== undefined && !/^\d+$/.test(name)) names.push(name);
  }
  return names;
}

/**
 * The plugin's frame: the innermost outside AssemblyScript's library (`~lib/`, which includes packages such
 * as json-as); and the library function it called, the frame just inside it, if any.
 */
export function pluginFrames(names: string[]): { caller?: string; callee?: string } {
  const at = names.findIndex((name) => !name.startsWith("~lib/"));
  if (at < 0) return {};
  return at > 0 ? { caller: names[at]!, callee: names[at - 1]! } : { caller: names[at]! };
}
