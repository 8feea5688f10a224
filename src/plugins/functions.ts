import * as v from "valibot";
import type { PluginErrorKind } from "../core/errors.ts";
import type { FunctionCaller, FunctionItem, ItemResult, PluginFunction } from "../rules/plugin-functions.ts";
import { FunctionResultSchema } from "./abi.ts";
import type { ResolvedOption } from "./options.ts";
import type { Plugin } from "./plugin.ts";
import type { LogLine } from "./protocol.ts";
import type { Registry } from "./registry.ts";
import type { PluginRuntime } from "./runtime.ts";

/**
 * Plugins' template filters and condition tests (ABI v1's optional extension, docs/abi-v1.md): what a
 * manifest declares, as rules know it, and the calls that answer a page's values. A call takes many
 * values and answers one result per value; a result the plugin refuses, or one that is not what the
 * ABI says, fails that value only. A call that fails as a whole (a trap, a crash, an answer that is not
 * JSON or holds too few results) is tried again in halves, so that the values it failed on are found and
 * fail alone, within a budget of calls; a call that timed out is not (each half could take as long).
 */

/** A plugin's filters and tests, named as rules write them: `<ident>_<name>`. */
export function pluginFunctionsOf(plugin: Plugin): PluginFunction[] {
  const { filters, tests } = plugin.manifest;
  const common = (entry: string) => ({ name: `${plugin.ident}_${entry}`, plugin: plugin.ident, entry, manifest: plugin.manifestPath });
  return [
    ...Object.entries(filters).map(([entry, spec]): PluginFunction => ({
      ...common(entry),
      kind: "filter",
      minArgs: spec.arguments.filter((argument) => !argument.optional).length,
      maxArgs: spec.arguments.length,
    })),
    ...Object.entries(tests).map(([entry, spec]): PluginFunction => ({
      ...common(entry),
      kind: "test",
      minArgs: spec.value === "required" ? 1 : 0,
      maxArgs: spec.value === "none" ? 0 : 1,
    })),
  ];
}

/** The wasm export of a plugin's filter or test: the manifest's `export`, else its name. */
function exportOf(plugin: Plugin, fn: PluginFunction): string {
  const spec = fn.kind === "filter" ? plugin.manifest.filters[fn.entry] : plugin.manifest.tests[fn.entry];
  return spec?.export ?? fn.entry;
}

/** Values per call: a page's values in a few calls, each request and answer far below the size limits. */
export const VALUES_PER_CALL = 2000;
/** How many more calls a failed call may spend finding the values it failed on. */
const SPLIT_BUDGET = 32;
/** Failures that say nothing about one value: splitting the call would only repeat them. */
const WHOLE_CALL_FAILURES: readonly PluginErrorKind[] = ["timeout", "overloaded", "permission", "options", "connection", "auth"];

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The results of an answer, or why the answer as a whole is not one. */
function resultsOf(answer: unknown, fn: PluginFunction, count: number): ItemResult[] | string {
  const results = typeof answer === "object" && answer !== null && !Array.isArray(answer) ? (answer as { results?: unknown }).results : undefined;
  if (!Array.isArray(results)) return `answered ${shown(answer)}, not {"results": [...]}`;
  if (results.length !== count) return `answered ${results.length} results for ${count} values`;
  return results.map((result): ItemResult => {
    const checked = v.safeParse(FunctionResultSchema, result);
    if (!checked.success) return { ok: false, message: `answered ${shown(result)}, not {"value": …} or {"error": "why"}` };
    if ("error" in checked.output) return { ok: false, message: checked.output.error };
    if (fn.kind === "test" && typeof checked.output.value !== "boolean") return { ok: false, message: `answered ${shown(checked.output.value)}, not true or false` };
    return { ok: true, value: checked.output.value };
  });
}

export interface FunctionCallOptions {
  dryRun?: boolean;
  runId?: number;
  /** Where the plugins' log lines go (a run's log); dropped when not given. */
  onLogs?: (lines: LogLine[], dropped: number) => void;
}

/** Answers rules' plugin filters and tests through the runtime: the plugin's own options, no account. */
export function functionCaller(runtime: PluginRuntime, registry: Registry, pluginOptions: ReadonlyMap<string, Record<string, ResolvedOption>>, options: FunctionCallOptions = {}): FunctionCaller {
  return async (fn, items) => {
    const plugin = registry.plugins.get(fn.plugin);
    if (!plugin) return items.map(() => ({ ok: false, message: `plugin ${fn.plugin} is not loaded` }));
    const exportName = exportOf(plugin, fn);

    const callOnce = async (part: FunctionItem[], budget: { calls: number }): Promise<ItemResult[]> => {
      const input = fn.kind === "filter" ? { filter: fn.entry, items: part } : { test: fn.entry, items: part };
      const result = await runtime.call(plugin, exportName, { input, pluginOptions: pluginOptions.get(plugin.ident), dryRun: options.dryRun, runId: options.runId });
      options.onLogs?.(result.logs, result.droppedLogs);
      let why: string;
      if (result.ok) {
        const results = resultsOf(result.value, fn, part.length);
        if (typeof results !== "string") return results;
        why = `abi: ${results}`;
      } else {
        why = `${result.error.kind}: ${result.error.message}`;
        if (WHOLE_CALL_FAILURES.includes(result.error.kind)) return part.map(() => ({ ok: false, message: why }));
      }
      if (part.length > 1 && budget.calls >= 2) {
        budget.calls -= 2;
        const half = Math.ceil(part.length / 2);
        // One half after the other: which values fail does not depend on which call finishes first.
        const first = await callOnce(part.slice(0, half), budget);
        return [...first, ...(await callOnce(part.slice(half), budget))];
      }
      return part.map(() => ({ ok: false, message: part.length > 1 ? `${why} (a call with ${part.length} values)` : why }));
    };

    const chunks: FunctionItem[][] = [];
    for (let start = 0; start < items.length; start += VALUES_PER_CALL) chunks.push(items.slice(start, start + VALUES_PER_CALL));
    const answered = await Promise.all(chunks.map((chunk) => callOnce(chunk, { calls: SPLIT_BUDGET })));
    return answered.flat();
  };
}
