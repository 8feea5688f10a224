import type { RewriteConfig } from "../config/rules.ts";
import { matchesName, namePatterns, type HostData, type NamePatterns } from "./host.ts";
import { isTemplate, TemplateSyntaxError, type Template } from "./template.ts";

/**
 * What a target receives of a host's attributes (its labels and inventory): the filter keeps the names
 * it lists (CMDBSyncer's whitelist), the rewrites rename them and change their values, in order. A label
 * stays a label and an inventory key stays one.
 */

/** Which attributes leave for a target; undefined: all of them. */
export type AttributeFilter = NamePatterns | undefined;

export function compileFilter(patterns: readonly string[] | undefined): AttributeFilter {
  return patterns === undefined ? undefined : namePatterns(patterns);
}

/** The entries of `map` the filter keeps (the map itself when there is no filter). */
export function filtered<T>(map: Record<string, T>, filter: AttributeFilter): Record<string, T> {
  if (!filter) return map;
  const kept: Record<string, T> = {};
  for (const name in map) if (Object.hasOwn(map, name) && matchesName(filter, name)) kept[name] = map[name]!;
  return kept;
}

export interface CompiledRewrite {
  /** `attribute` as written, for messages. */
  readonly attribute: string;
  readonly matches: NamePatterns;
  readonly name?: Template;
  readonly value?: Template | { separator: string; index: number };
  /** Whether its templates use plugins' filters. */
  readonly usesPlugins: boolean;
  /** Whether a template of it may render otherwise at another time (Template.unstable). */
  readonly unstable: boolean;
}

export interface RewriteProblem {
  key: "name" | "value" | "split" | "attribute";
  message: string;
}

/** Compiles a template; `readsState`: whether its input depends on what rules set (a rewrite's does). */
export type TemplateCompiler = (source: string, readsState?: boolean) => Template;

/** A constant or a compiled template: text without `{{` or `{%` is taken as it is. */
function textOrTemplate(text: string, compile: TemplateCompiler): Template {
  // A rewrite's name and value are those of the attributes rules set, too.
  return isTemplate(text) ? compile(text, true) : { source: text, direct: true, extraFilters: [], readsState: false, unstable: false, render: () => text };
}

export function compileRewrite(rewrite: RewriteConfig, compile: TemplateCompiler): CompiledRewrite | RewriteProblem {
  if (rewrite.value !== undefined && rewrite.split !== undefined) return { key: "split", message: "a rewrite sets the value by a template (value) or by split, not both" };
  if (rewrite.name === undefined && rewrite.value === undefined && rewrite.split === undefined) {
    return { key: "attribute", message: "a rewrite changes something: give name, value or split" };
  }
  let key: RewriteProblem["key"] = "name";
  try {
    const name = rewrite.name === undefined ? undefined : textOrTemplate(rewrite.name, compile);
    key = "value";
    const value = rewrite.split ?? (rewrite.value === undefined ? undefined : textOrTemplate(rewrite.value, compile));
    const usesPlugins = [name, value].some((template) => template !== undefined && "extraFilters" in template && template.extraFilters.length > 0);
    const unstable = [name, value].some((template) => template !== undefined && "unstable" in template && template.unstable);
    return { attribute: rewrite.attribute, matches: namePatterns([rewrite.attribute]), name, value, usesPlugins, unstable };
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    return { key, message: `template error: ${error.message}` };
  }
}

/** One part of a value split at a separator; -1 is the last part; a part that is not there is "". */
function part(value: unknown, split: { separator: string; index: number }): string {
  const parts = String(value ?? "").split(split.separator);
  return parts.at(split.index) ?? "";
}

/**
 * Applies the rewrites to a map of attributes, in order, in place of the map: each rewrite renames the
 * entries it matches and sets their values. Templates see `name`, `value` and the host. Throws the
 * rewrite's TemplateError.
 */
export function rewritten<T>(map: Record<string, T | string>, rewrites: readonly CompiledRewrite[], host: HostData): Record<string, T | string> {
  let current = map;
  for (const rewrite of rewrites) {
    let next: Record<string, T | string> | undefined;
    for (const name in current) {
      if (!Object.hasOwn(current, name) || !matchesName(rewrite.matches, name)) continue;
      next ??= { ...current };
      const value = current[name];
      const scope = { name, value, hostname: host.hostname, account: host.account, labels: host.labels, inventory: host.inventory };
      const newName = rewrite.name ? rewrite.name.render(scope) : name;
      const newValue = rewrite.value === undefined ? value : "render" in rewrite.value ? rewrite.value.render(scope) : part(value, rewrite.value);
      delete next[name];
      next[newName] = newValue as T | string;
    }
    if (next) current = next;
  }
  return current;
}
