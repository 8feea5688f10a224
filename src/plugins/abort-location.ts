import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { PluginError } from "../core/errors.ts";
import type { Plugin } from "./plugin.ts";
import { ModuleDebugInfo, sourceMapUrl, type SourcePosition } from "./wasm/source-location.ts";

/**
 * Names the place in the plugin's own sources of an abort inside AssemblyScript's library: the sandbox
 * reports which of the plugin's functions led to it (`caller`, from the stack); the daemon, which can read
 * the plugin's folder, finds the call in that function through the module's source map
 * (build/plugin.wasm.map, which asc --sourceMap writes and the module names). Without one (a module built
 * without it, a plugin built into the binary) the error keeps the function's name. The module's mtime
 * stamps the cache: a rebuilt plugin is read again.
 */

/** Decoded debug information per module file, kept while the files are unchanged. */
const cache = new Map<string, { stamp: string; info: ModuleDebugInfo | undefined }>();

function debugInfo(plugin: Plugin): ModuleDebugInfo | undefined {
  if (plugin.origin !== "directory") return undefined;
  const wasmPath = join(plugin.location, plugin.manifest.wasm);
  try {
    const stamp = `${statSync(wasmPath).mtimeMs}`;
    const cached = cache.get(wasmPath);
    if (cached?.stamp === stamp) return cached.info;
    const module = new Uint8Array(readFileSync(wasmPath));
    const url = sourceMapUrl(module);
    const mapPath = url === undefined || /^[a-z]+:/i.test(url) ? undefined : resolve(dirname(wasmPath), url);
    const info = mapPath && existsSync(mapPath) ? ModuleDebugInfo.read(module, readFileSync(mapPath, "utf8")) : undefined;
    cache.set(wasmPath, { stamp, info });
    return info;
  } catch {
    return undefined; // no debug information is no reason to lose the error itself
  }
}

const place = (position: SourcePosition) => `${position.file}:${position.line}:${position.column}`;

/**
 * The error with the abort's place in the plugin's sources added, where the module's debug information
 * says it. A trap without an abort (unreachable, a memory access out of bounds) says only which function
 * the engine stopped in: where that function begins is added.
 */
export function locateAbort(plugin: Plugin, error: PluginError): PluginError {
  const details = error.details;
  if (error.kind !== "trap" || typeof details?.caller !== "string") return error;
  const caller = details.caller;
  // The frame's name is the function's source path without extension, then its name: src/index/import_hosts.
  const functionName = caller.slice(caller.lastIndexOf("/") + 1);
  if (typeof details.line !== "number" || typeof details.column !== "number") {
    const start = debugInfo(plugin)?.functionStart(caller);
    if (!start) return error;
    return { ...error, message: error.message.replace(`, in ${caller}`, `, in ${functionName}, which begins at ${place(start)}`), details: { ...details, source: start } };
  }
  const callee = typeof details.callee === "string" ? details.callee : undefined;
  const sites = debugInfo(plugin)?.callSites(caller, callee, { line: details.line, column: details.column }) ?? [];
  if (sites.length === 0) return error;
  const places = sites.map(place).join(" or ");
  // Inlined library code has no call of its own: the plugin's last place before it is named, near it.
  const where = callee ? `, called from ${places} in ${functionName}` : `, in ${functionName} near ${places}`;
  return {
    ...error,
    message: error.message.replace(`, called from ${caller}`, where),
    details: { ...details, source: sites[0], ...(sites.length > 1 ? { sources: sites } : {}) },
  };
}
