import type { PlacedRule } from "../config/include.ts";
import type { Config } from "../config/load.ts";
import type { RuleConfig, SetValueConfig, TargetConfig } from "../config/rules.ts";
import { closestMatch, dottedPath, type KeyPath, type Locate, type Problem } from "../core/problems.ts";
import { compileFilter, compileRewrite, type CompiledRewrite } from "./attributes.ts";
import { compileCondition, type CompiledCondition, type PluginTests } from "./conditions.ts";
import { TargetRules } from "./evaluate.ts";
import { PluginFunctions, type PluginFunction } from "./plugin-functions.ts";
import type { CompiledRule, CompiledSetEntry, CompiledValue } from "./rule.ts";
import { isTemplate, TemplateEngine, TemplateSyntaxError, type Template } from "./template.ts";
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
  /** The template filters and condition tests enabled plugins provide. */
  functions?: readonly PluginFunction[];
}

/** A target's [targets] entry compiled: its filter, its rewrites, and the entry as written (JSON). */
interface TargetSettings {
  filter: TargetConfig["filter"];
  rewrites: CompiledRewrite[];
  written: string;
}

/** The rules and target settings a config holds, compiled; `forTarget` gives what one target evaluates. */
export class RuleBook {
  private readonly targets = new Map<string, TargetRules>();

  constructor(
    readonly rules: readonly CompiledRule[],
    private readonly settings: ReadonlyMap<string, TargetSettings>,
    private readonly catalog: TargetCatalog,
    private readonly functions: PluginFunctions,
  ) {}

  /** The rules for a plugin's runs, or an account's: "*" rules, the plugin's and the account's, in file order. */
  forTarget(plugin: string, account?: string): TargetRules {
    const name = account ?? plugin;
    let target = this.targets.get(name);
    if (!target) {
      const rules = this.rules.filter((rule) => rule.target === "*" || rule.target === plugin || (account !== undefined && rule.target === account));
      const settings = (account !== undefined ? this.settings.get(account) : undefined) ?? this.settings.get(plugin);
      const rewrites = settings?.rewrites ?? [];
      const usesPlugins = rules.some((rule) => rule.usesPlugins) || rewrites.some((rewrite) => rewrite.usesPlugins);
      // What the target's hosts become depends on these and on the host alone, unless a plugin's function or the clock takes part.
      const stable = !usesPlugins && !rules.some((rule) => rule.unstable) && !rewrites.some((rewrite) => rewrite.unstable);
      const written = stable ? JSON.stringify({ rules: rules.map((rule) => rule.written), target: settings?.written ?? null }) : undefined;
      target = new TargetRules(name, plugin, rules, vocabularyOf(this.catalog.plugins.get(plugin)), compileFilter(settings?.filter), rewrites, usesPlugins ? this.functions : undefined, written);
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

/** How one config's rules compile their templates and plugin tests. */
interface Compilers {
  /** A template; one using plugin filters renders through the plugin functions' session. */
  template(source: string, readsState?: boolean): Template;
  tests: PluginTests;
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
function compileValue(written: Exclude<SetValueConfig, Record<string, unknown>>, compilers: Compilers): CompiledValue {
  if (typeof written === "string") {
    if (!isTemplate(written)) return { written, constant: written, render: () => written };
    const template = compilers.template(written);
    return { written, usesPlugins: template.extraFilters.length > 0, unstable: template.unstable, render: (scope) => template.render(scope) };
  }
  if (Array.isArray(written)) {
    if (!written.some(isTemplate)) return { written, constant: written, render: () => written };
    const items = written.map((item) => (isTemplate(item) ? compilers.template(item) : item));
    const usesPlugins = items.some((item) => typeof item !== "string" && item.extraFilters.length > 0);
    const unstable = items.some((item) => typeof item !== "string" && item.unstable);
    return { written, usesPlugins, unstable, render: (scope) => items.map((item) => (typeof item === "string" ? item : item.render(scope))) };
  }
  return { written, constant: written, render: () => written };
}

function compileSet(
  rule: RuleConfig,
  place: Place,
  path: KeyPath,
  vocabularyCheck: ((key: string, table: boolean) => string | undefined) | undefined,
  compilers: Compilers,
  problems: Problems,
): CompiledSetEntry[] {
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
      if (!table) entries.push({ key, table: false, value: compileValue(written, compilers) });
      else {
        const compiled: (readonly [string, CompiledValue])[] = [];
        for (const [name, value] of Object.entries(written)) {
          try {
            compiled.push([name, compileValue(value, compilers)]);
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

function compileRule({ rule, origin }: PlacedRule, catalog: TargetCatalog, compilers: Compilers, problems: Problems): CompiledRule | undefined {
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
    const compiled = compileCondition(condition, compilers.tests);
    if ("message" in compiled) problems.at(place, [...origin.path, "conditions", index, compiled.key], compiled.message);
    else conditions.push(compiled);
  });
  const set = compileSet(rule, place, origin.path, vocabularyCheck, compilers, problems);
  if (problems.list.length > before) return undefined;
  const values = set.flatMap((entry) => (entry.table ? entry.entries.map(([, value]) => value) : [entry.value]));
  return {
    usesPlugins: conditions.some((condition) => condition.pluginTest !== undefined) || values.some((value) => value.usesPlugins === true),
    unstable: values.some((value) => value.unstable === true),
    written: JSON.stringify(rule),
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

/**
 * The plugins' filters and tests by the names rules write. A name LiquidJS has as a filter, or two
 * plugins' functions with one name (`a` + `b_c`, `a_b` + `c`), are problems of the config: rules could
 * not say which they mean.
 */
function pluginFunctionsOf(catalog: TargetCatalog, problems: Problems): PluginFunctions {
  const byName = new Map<string, PluginFunction>();
  for (const fn of catalog.functions ?? []) {
    const at = { file: fn.manifest, key: `${fn.kind}s.${fn.entry}` };
    const other = byName.get(fn.name);
    if (other) problems.list.push({ ...at, message: `rules would call it ${fn.name}, as plugin ${other.plugin}'s ${other.kind} ${other.entry} (${other.manifest}); rename one, or disable a plugin` });
    else if (fn.kind === "filter" && TemplateEngine.hasBuiltinFilter(fn.name)) problems.list.push({ ...at, message: `rules would call it ${fn.name}, which is one of Liquid's own filters; rename it` });
    else byName.set(fn.name, fn);
  }
  return new PluginFunctions(byName);
}

function compilersOf(functions: PluginFunctions): Compilers {
  const engine = new TemplateEngine(functions.filters());
  return {
    template(source, readsState) {
      const template = engine.compile(source);
      if (template.extraFilters.length === 0) return template;
      const state = readsState ?? template.readsState;
      return { ...template, readsState: state, render: (scope) => functions.render(template, scope, state) };
    },
    tests: { byName: functions.byName, functions },
  };
}

/** Compiles [[rules]] and [targets]; the book is usable only when there are no problems. */
export function compileRules(config: Pick<Config, "rules" | "targets" | "source" | "locate">, catalog: TargetCatalog): { book: RuleBook; problems: Problem[] } {
  const problems = new Problems();
  const main: Place = { file: config.source.path, locate: config.locate };
  const functions = pluginFunctionsOf(catalog, problems);
  const compilers = compilersOf(functions);
  const rules: CompiledRule[] = [];
  for (const placed of config.rules) {
    const compiled = compileRule(placed, catalog, compilers, problems);
    if (compiled) rules.push(compiled);
  }
  const settings = new Map<string, TargetSettings>();
  for (const [name, target] of Object.entries(config.targets)) {
    if (!catalog.plugins.has(name) && !catalog.accounts.has(name)) problems.at(main, ["targets", name], unknownTarget(name, catalog), "key");
    const rewrites: CompiledRewrite[] = [];
    target.rewrite.forEach((rewrite, index) => {
      const compiled = compileRewrite(rewrite, compilers.template);
      if ("message" in compiled) problems.at(main, ["targets", name, "rewrite", index, compiled.key], compiled.message);
      else rewrites.push(compiled);
    });
    settings.set(name, { filter: target.filter, rewrites, written: JSON.stringify(target) });
  }
  return { book: new RuleBook(rules, settings, catalog, functions), problems: problems.list };
}
