import type { PlacedRule } from "../config/include.ts";
import type { Config } from "../config/load.ts";
import type { RuleConfig, SetValueConfig, TargetConfig } from "../config/rules.ts";
import { closestMatch, dottedPath, type KeyPath, type Locate, type Problem } from "../core/problems.ts";
import { compileFilter, compileRewrite, type CompiledRewrite } from "./attributes.ts";
import { compileCondition, type CompiledCondition } from "./conditions.ts";
import { TargetRules } from "./evaluate.ts";
import type { CompiledRule, CompiledSetEntry, CompiledValue } from "./rule.ts";
import { compileTemplate, isTemplate, TemplateSyntaxError } from "./template.ts";
import { IGNORE_HOST, refusedKey, vocabularyOf } from "./vocabulary.ts";

/**
 * Compiles the config's rules and [targets] once per config (and again on every reload): conditions,
 * regexes and templates, checked against the targets there are. Every problem names its file, line
 * and column, as config problems do.
 */

/** What rules know of the plugins and accounts: the names a target may have, and what each plugin understands. */
export interface TargetCatalog {
  /** Plugin idents, each with the outcomes its manifest declares (undefined: none). */
  plugins: Map<string, readonly string[] | undefined>;
  /** Account names, each with its plugin's ident. */
  accounts: Map<string, string>;
}

/** The rules and target settings a config holds, compiled; `forTarget` gives what one target evaluates. */
export class RuleBook {
  private readonly targets = new Map<string, TargetRules>();

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly settings: ReadonlyMap<string, { filter: TargetConfig["filter"]; rewrites: CompiledRewrite[] }>,
    private readonly catalog: TargetCatalog,
  ) {}

  /** The rules for a plugin's runs, or an account's: "*" rules, the plugin's and the account's, in file order. */
  forTarget(plugin: string, account?: string): TargetRules {
    const name = account ?? plugin;
    let target = this.targets.get(name);
    if (!target) {
      const rules = this.rules.filter((rule) => rule.target === "*" || rule.target === plugin || (account !== undefined && rule.target === account));
      const settings = (account !== undefined ? this.settings.get(account) : undefined) ?? this.settings.get(plugin);
      target = new TargetRules(name, plugin, rules, vocabularyOf(this.catalog.plugins.get(plugin)), compileFilter(settings?.filter), settings?.rewrites ?? []);
      this.targets.set(name, target);
    }
    return target;
  }

  /** The names a target may have: every plugin and account. */
  targetNames(): string[] {
    return [...this.catalog.plugins.keys(), ...this.catalog.accounts.keys()];
  }

  /** The targets the rules and [targets] name (not "*"), in the order they first appear. */
  namedTargets(): string[] {
    return [...new Set([...this.rules.map((rule) => rule.target).filter((target) => target !== "*"), ...this.settings.keys()])];
  }

  /** The plugin a target name stands for (an account's plugin), or undefined when it names none. */
  pluginOf(target: string): string | undefined {
    return this.catalog.plugins.has(target) ? target : this.catalog.accounts.get(target);
  }
}

interface Place {
  file: string;
  locate: Locate;
}

class Problems {
  readonly list: Problem[] = [];
  at(place: Place, path: KeyPath, message: string, part: "key" | "value" = "value"): void {
    this.list.push({ file: place.file, key: dottedPath(path), position: place.locate(path, part), message });
  }
}

function unknownTarget(target: string, catalog: TargetCatalog): string {
  const names = [...catalog.plugins.keys(), ...catalog.accounts.keys()];
  const best = closestMatch(target, names);
  return `no plugin or account '${target}'${best ? `; did you mean '${best}'?` : ""} (targets: "*", ${names.join(", ")})`;
}

/** A value a rule sets, compiled: strings are templates (plain text stays constant). */
function compileValue(written: Exclude<SetValueConfig, Record<string, unknown>>): CompiledValue {
  if (typeof written === "string") {
    if (!isTemplate(written)) return { written, constant: written, render: () => written };
    const template = compileTemplate(written);
    return { written, render: (scope) => template.render(scope) };
  }
  if (Array.isArray(written)) {
    if (!written.some(isTemplate)) return { written, constant: written, render: () => written };
    const items = written.map((item) => (isTemplate(item) ? compileTemplate(item) : item));
    return { written, render: (scope) => items.map((item) => (typeof item === "string" ? item : item.render(scope))) };
  }
  return { written, constant: written, render: () => written };
}

function compileSet(rule: RuleConfig, place: Place, path: KeyPath, vocabularyCheck: ((key: string, table: boolean) => string | undefined) | undefined, problems: Problems): CompiledSetEntry[] {
  const entries: CompiledSetEntry[] = [];
  for (const [key, written] of Object.entries(rule.set)) {
    const at = [...path, "set", key];
    const table = typeof written === "object" && !Array.isArray(written);
    const refused = vocabularyCheck?.(key, table);
    if (refused) {
      problems.at(place, at, refused, "key");
      continue;
    }
    if (key === IGNORE_HOST && typeof written !== "boolean") {
      problems.at(place, at, `${IGNORE_HOST} is true or false`);
      continue;
    }
    try {
      if (!table) entries.push({ key, table: false, value: compileValue(written) });
      else {
        const compiled: (readonly [string, CompiledValue])[] = [];
        for (const [name, value] of Object.entries(written)) {
          try {
            compiled.push([name, compileValue(value)]);
          } catch (error) {
            if (!(error instanceof TemplateSyntaxError)) throw error;
            problems.at(place, [...at, name], `template error: ${error.message}`);
          }
        }
        entries.push({ key, table: true, entries: compiled });
      }
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      problems.at(place, at, `template error: ${error.message}`);
    }
  }
  return entries;
}

function compileRule({ rule, origin }: PlacedRule, catalog: TargetCatalog, problems: Problems): CompiledRule | undefined {
  const place: Place = { file: origin.file, locate: origin.locate };
  const before = problems.list.length;
  let vocabularyCheck: ((key: string, table: boolean) => string | undefined) | undefined;
  if (rule.target !== "*") {
    const plugin = catalog.plugins.has(rule.target) ? rule.target : catalog.accounts.get(rule.target);
    if (plugin === undefined) problems.at(place, [...origin.path, "target"], unknownTarget(rule.target, catalog));
    else {
      const vocabulary = vocabularyOf(catalog.plugins.get(plugin));
      const who = plugin === rule.target ? `plugin ${plugin}` : `account ${rule.target} (plugin ${plugin})`;
      vocabularyCheck = (key, table) => refusedKey(vocabulary, key, table, who);
    }
  }
  if (rule.match !== "anyway" && rule.conditions.length === 0) {
    problems.at(place, [...origin.path, "conditions"], `rule "${rule.name}" has no conditions: add some, or write match = "anyway" for a rule that always matches`, "key");
  }
  const conditions: CompiledCondition[] = [];
  rule.conditions.forEach((condition, index) => {
    const compiled = compileCondition(condition);
    if ("message" in compiled) problems.at(place, [...origin.path, "conditions", index, compiled.key], compiled.message);
    else conditions.push(compiled);
  });
  const set = compileSet(rule, place, origin.path, vocabularyCheck, problems);
  if (problems.list.length > before) return undefined;
  return {
    name: rule.name,
    target: rule.target,
    match: rule.match,
    lastMatch: rule.last_match,
    conditions,
    set,
    file: origin.file,
    position: origin.locate(origin.path, "key"),
  };
}

/** Compiles [[rules]] and [targets]; the book is usable only when there are no problems. */
export function compileRules(config: Pick<Config, "rules" | "targets" | "source" | "locate">, catalog: TargetCatalog): { book: RuleBook; problems: Problem[] } {
  const problems = new Problems();
  const rules: CompiledRule[] = [];
  for (const placed of config.rules) {
    const compiled = compileRule(placed, catalog, problems);
    if (compiled) rules.push(compiled);
  }
  const main: Place = { file: config.source.path, locate: config.locate };
  const settings = new Map<string, { filter: TargetConfig["filter"]; rewrites: CompiledRewrite[] }>();
  for (const [name, target] of Object.entries(config.targets)) {
    if (!catalog.plugins.has(name) && !catalog.accounts.has(name)) problems.at(main, ["targets", name], unknownTarget(name, catalog), "key");
    const rewrites: CompiledRewrite[] = [];
    target.rewrite.forEach((rewrite, index) => {
      const compiled = compileRewrite(rewrite);
      if ("message" in compiled) problems.at(main, ["targets", name, "rewrite", index, compiled.key], compiled.message);
      else rewrites.push(compiled);
    });
    settings.set(name, { filter: target.filter, rewrites });
  }
  return { book: new RuleBook(rules, settings, catalog), problems: problems.list };
}
