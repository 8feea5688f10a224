import { filtered, rewritten, type AttributeFilter, type CompiledRewrite } from "./attributes.ts";
import { lowered, type CompiledCondition } from "./conditions.ts";
import type { HostData } from "./host.ts";
import { gaveUpMessage, type FunctionCaller, type PluginFunctions } from "./plugin-functions.ts";
import { placeOf, type CompiledRule, type CompiledSetEntry, type CompiledValue } from "./rule.ts";
import { TemplateError, type TemplateScope } from "./template.ts";
import { IGNORE_HOST, isOutcome, type Vocabulary } from "./vocabulary.ts";

/**
 * Rules evaluated for one target (a plugin, or an account of it): its rules in file order, every
 * matching one contributing what it sets (later keys overwrite earlier ones), a last_match rule ending
 * the evaluation. Keys the target's plugin declares as outcomes become outcomes; the others become
 * attributes, added to the host's labels. Then the target's filter keeps the host's own attributes it
 * lists, and its rewrites rename and change them. Nothing is cached: every result comes from the host's
 * data and the rules as they are now.
 */

/** What a target receives for one host. */
export interface TargetHost {
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
  inventory: Record<string, unknown>;
  outcomes: Record<string, unknown>;
}

export type HostOutcome =
  | { ok: true; ignored: boolean; host: TargetHost }
  /** A template failed: this host fails for this target, named with the rule. */
  | { ok: false; hostname: string; message: string };

/** How one condition went for the host. */
export interface ConditionTrace {
  condition: string;
  /** The value the condition looked at; null when the host does not have it. */
  seen: unknown;
  matched: boolean;
}

/** How one rule went for the host. */
export interface RuleTrace {
  name: string;
  /** Where the rule is written: file:line:column. */
  at: string;
  target: string;
  match: string;
  last_match: boolean;
  /** False for rules after a matching last_match rule, or after a failed template: they were not looked at. */
  evaluated: boolean;
  matched: boolean;
  conditions: ConditionTrace[];
  /** What the rule set, rendered, when it matched. */
  set?: Record<string, unknown>;
  error?: string;
}

export interface Explanation {
  hostname: string;
  target: { name: string; plugin: string };
  rules: RuleTrace[];
  /** What the target receives; absent when a template failed. */
  result?: { ignored: boolean; labels: Record<string, string>; inventory: Record<string, unknown>; outcomes: Record<string, unknown> };
  error?: string;
}

/** An entry of a rule as this target takes it: the key is an outcome here or an attribute. */
interface TargetEntry {
  entry: CompiledSetEntry;
  outcome: boolean;
  /** A table's attribute names, `key.name`, made once. */
  dotted: string[];
}

/**
 * The host's values the target's conditions read, each in lower case, read once per host and shared by
 * every condition on it (a "slot" per subject): 200 rules mostly ask about a few labels.
 */
type Texts = (string | undefined | typeof UNREAD)[];
const UNREAD = Symbol("unread");

/** Whether a host meets a rule's conditions: all of them, any of them, or none needed. */
type Matcher = (host: HostData, texts: Texts, outcomes: Outcomes) => boolean;

/**
 * Each distinct condition's outcome for the host, once it is known (1 or 0; UNKNOWN before): rules often
 * repeat a condition (the same site, the same name pattern in many rules), and the host's answer to it
 * is the same every time. Refilled per host, like the texts.
 */
type Outcomes = Int8Array;
const UNKNOWN = -1;

function matcherOf(rule: CompiledRule, slotOf: (subject: string) => number, outcomeOf: (condition: string) => number): Matcher {
  if (rule.match === "anyway") return () => true;
  const checks = rule.conditions.map((condition): Matcher => {
    if (condition.pluginTest) return (host) => condition.test(condition.seen(host));
    const slot = slotOf(condition.subject);
    // A condition's text says all of what it tests (its subject, negation, match type and value).
    const known = outcomeOf(condition.text);
    const { seen, testLowered } = condition;
    return (host, texts, outcomes) => {
      const outcome = outcomes[known]!;
      if (outcome !== UNKNOWN) return outcome === 1;
      let text = texts[slot];
      if (text === UNREAD) {
        const value = seen(host);
        text = texts[slot] = value === undefined ? undefined : lowered(value);
      }
      const matched = testLowered(text);
      outcomes[known] = matched ? 1 : 0;
      return matched;
    };
  });
  // One and two conditions, the usual cases, without a loop.
  const [first, second] = checks;
  if (checks.length === 1) return first!;
  if (rule.match === "any") {
    if (checks.length === 2) return (host, texts, outcomes) => first!(host, texts, outcomes) || second!(host, texts, outcomes);
    return (host, texts, outcomes) => {
      for (const check of checks) if (check(host, texts, outcomes)) return true;
      return false;
    };
  }
  if (checks.length === 2) return (host, texts, outcomes) => first!(host, texts, outcomes) && second!(host, texts, outcomes);
  return (host, texts, outcomes) => {
    for (const check of checks) if (!check(host, texts, outcomes)) return false;
    return true;
  };
}

/**
 * Rules that need all their conditions and have a plain `equal` or `in_list` among them can only match
 * hosts with one of its values: a host's value picks the few that may match, and the others are skipped
 * without a look (200 rules with `site equal …` for 20 sites cost a host the two of its site). A rule that
 * needs any of its conditions is picked by each of them, when every one is such a condition. Only a
 * shortcut: a picked rule is still evaluated whole.
 */
interface Guard {
  slot: number;
  seen: (host: HostData) => unknown;
  rules: Map<string, number[]>;
}

function guardsOf(rules: readonly CompiledRule[], slotOf: (subject: string) => number): { guards: Guard[]; guarded: Uint8Array } {
  const guards = new Map<string, Guard>();
  const guarded = new Uint8Array(rules.length);
  const pickedBy = (condition: CompiledCondition, index: number) => {
    let guard = guards.get(condition.subject);
    if (!guard) guards.set(condition.subject, (guard = { slot: slotOf(condition.subject), seen: condition.seen, rules: new Map() }));
    for (const value of condition.oneOf!) {
      const list = guard.rules.get(value) ?? [];
      if (list.length === 0) guard.rules.set(value, list);
      if (list.at(-1) !== index) list.push(index);
    }
  };
  rules.forEach((rule, index) => {
    if (rule.match === "all") {
      const condition = rule.conditions.find((candidate) => candidate.oneOf !== undefined);
      if (!condition) return;
      pickedBy(condition, index);
    } else if (rule.match === "any") {
      if (rule.conditions.length === 0 || !rule.conditions.every((condition) => condition.oneOf !== undefined)) return;
      for (const condition of rule.conditions) pickedBy(condition, index);
    } else {
      return;
    }
    guarded[index] = 1;
  });
  return { guards: [...guards.values()], guarded };
}

/** What the matching rules have set so far for one host. */
interface SetState {
  outcomes: Record<string, unknown>;
  attributes: Record<string, string>;
  /** What templates see, made when the host's first template renders. */
  scope?: TemplateScope;
}

/** An attribute's value is text, as a label's: numbers and booleans as written, lists comma-separated. */
function attributeText(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}


export class TargetRules {
  private readonly entries: TargetEntry[][];
  private readonly matchers: Matcher[];
  private readonly guards: Guard[];
  /** 1 for each rule a guard may rule out; `possible` marks those a host's values let through (cleared again before the rules run). */
  private readonly guarded: Uint8Array;
  private readonly possible: Uint8Array;

  constructor(
    /** The account's name, or the plugin's ident. */
    readonly name: string,
    readonly plugin: string,
    readonly rules: readonly CompiledRule[],
    private readonly vocabulary: Vocabulary,
    private readonly filter: AttributeFilter,
    private readonly rewrites: readonly CompiledRewrite[],
    /** Set when the target's rules or rewrites use plugins' filters or tests: evaluate hosts through evaluateAll. */
    readonly functions?: PluginFunctions,
    /**
     * The target's rules and [targets] entry as written, when what they make of a host depends on nothing but
     * the host (no plugin's function, no template reading the clock or chance): a key for what is kept from
     * one run to the next. Undefined: nothing may be kept.
     */
    readonly written?: string,
  ) {
    this.entries = rules.map((rule) =>
      rule.set.map((entry) => ({ entry, outcome: isOutcome(vocabulary, entry.key, entry.table), dotted: entry.table ? entry.entries.map(([name]) => `${entry.key}.${name}`) : [] })),
    );
    const slots = new Map<string, number>();
    const slotOf = (subject: string) => slots.get(subject) ?? slots.set(subject, slots.size).get(subject)!;
    const conditions = new Map<string, number>();
    const outcomeOf = (condition: string) => conditions.get(condition) ?? conditions.set(condition, conditions.size).get(condition)!;
    this.matchers = rules.map((rule) => matcherOf(rule, slotOf, outcomeOf));
    ({ guards: this.guards, guarded: this.guarded } = guardsOf(rules, slotOf));
    this.possible = new Uint8Array(rules.length);
    this.picked = new Int32Array(rules.length);
    this.always = Int32Array.from(rules.flatMap((_, index) => (this.guarded[index] === 1 ? [] : [index])));
    this.texts = new Array<Texts[number]>(slots.size);
    this.outcomes = new Int8Array(conditions.size);
  }

  /** The texts and condition outcomes of a host's evaluation: refilled per host (an evaluation never runs inside another). */
  private readonly texts: Texts;
  private readonly outcomes: Outcomes;
  /** The rules no guard may rule out, in order: every host looks at them. */
  private readonly always: Int32Array;
  /** The guarded rules a host's values let through, gathered per host. */
  private readonly picked: Int32Array;

  private unread(): Texts {
    this.outcomes.fill(UNKNOWN);
    return this.texts.fill(UNREAD);
  }

  /** Whether the target gets each host as it is: no rule, no filter, no rewrite. */
  get passThrough(): boolean {
    return this.rules.length === 0 && this.filter === undefined && this.rewrites.length === 0;
  }

  /** A value for the host: a constant as it is, a template rendered with the host and what rules set so far. */
  private valueOf(value: CompiledValue, host: HostData, state: SetState): unknown {
    if ("constant" in value) return value.constant;
    state.scope ??= { hostname: host.hostname, account: host.account, labels: host.labels, inventory: host.inventory, target: this.name, outcomes: state.outcomes, attributes: state.attributes };
    return value.render(state.scope);
  }

  /** Writes what a matching rule sets into the state; returns the values, rendered, when `shown`. */
  private apply(index: number, host: HostData, state: SetState, shown: boolean): Record<string, unknown> | undefined {
    const rendered: Record<string, unknown> | undefined = shown ? {} : undefined;
    for (const { entry, outcome, dotted } of this.entries[index]!) {
      if (!entry.table) {
        const value = this.valueOf(entry.value, host, state);
        if (outcome) state.outcomes[entry.key] = value;
        else state.attributes[entry.key] = attributeText(value);
        if (rendered) rendered[entry.key] = value;
        continue;
      }
      const table = outcome ? ((state.outcomes[entry.key] as Record<string, unknown> | undefined) ?? (state.outcomes[entry.key] = {})) : undefined;
      const { entries } = entry;
      for (let at = 0; at < entries.length; at++) {
        const [name, compiled] = entries[at]!;
        const value = this.valueOf(compiled, host, state);
        if (table) table[name] = value;
        else state.attributes[dotted[at]!] = attributeText(value);
        if (rendered) rendered[dotted[at]!] = value;
      }
    }
    return rendered;
  }

  /** The host as the target receives it, from what the rules set. */
  private result(host: HostData, state: SetState): { ignored: boolean; host: TargetHost } {
    let labels: Record<string, string> = filtered(host.labels, this.filter);
    let inventory = filtered(host.inventory, this.filter);
    for (const name in state.attributes) {
      if (labels === host.labels) labels = { ...labels };
      labels[name] = state.attributes[name]!;
    }
    if (this.rewrites.length > 0) {
      labels = rewritten(labels, this.rewrites, host) as Record<string, string>;
      inventory = rewritten(inventory, this.rewrites, host);
    }
    return { ignored: state.outcomes[IGNORE_HOST] === true, host: { hostname: host.hostname, account: host.account, labels, inventory, outcomes: state.outcomes } };
  }

  private failure(host: HostData, rule: CompiledRule | undefined, error: TemplateError): string {
    const where = rule ? `rule "${rule.name}" (${placeOf(rule)})` : `a rewrite of [targets.${this.name}]`;
    return `${where} failed for host ${host.hostname}: ${error.message}`;
  }

  /** What the target receives for a host; a template that fails fails this host only. */
  evaluate(host: HostData): HostOutcome {
    const state: SetState = { outcomes: {}, attributes: {} };
    const texts = this.unread();
    const { possible, picked, always, outcomes, matchers } = this;
    let count = 0;
    for (const guard of this.guards) {
      const value = guard.seen(host);
      const text = (texts[guard.slot] = value === undefined ? undefined : lowered(value));
      if (text === undefined) continue;
      // Keys are trimmed, as in_list trims the host's value.
      const rules = guard.rules.get(text.trim());
      if (rules) {
        for (const index of rules) {
          if (possible[index] === 1) continue;
          possible[index] = 1;
          picked[count++] = index;
        }
      }
    }
    for (let at = 0; at < count; at++) possible[picked[at]!] = 0;
    // The rules to look at, in order: those always looked at merged with those the guards let through.
    const chosen = picked.subarray(0, count).sort();
    // The rule being looked at, named when one of its templates or plugin tests fails; past the end: a rewrite.
    let index = 0;
    try {
      for (let a = 0, c = 0; a < always.length || c < count; ) {
        index = c === count || (a < always.length && always[a]! < chosen[c]!) ? always[a++]! : chosen[c++]!;
        if (!matchers[index]!(host, texts, outcomes)) continue;
        this.apply(index, host, state, false);
        if (this.rules[index]!.lastMatch) break;
      }
      index = this.rules.length;
      return { ok: true, ...this.result(host, state) };
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { ok: false, hostname: host.hostname, message: this.failure(host, this.rules[index], error) };
    }
  }

  /**
   * evaluate() for many hosts (a page), the plugins' filters and tests they use answered in batches: one
   * call per function and round, never one per host (see plugin-functions.ts).
   */
  async evaluateAll(hosts: readonly HostData[], call: FunctionCaller): Promise<HostOutcome[]> {
    if (!this.functions) return hosts.map((host) => this.evaluate(host));
    return this.functions.resolve(hosts, (host) => this.evaluate(host), call, (host) => ({ ok: false, hostname: host.hostname, message: gaveUpMessage(host.hostname) }));
  }

  /** explain() for many hosts, with the plugins' answers as evaluateAll gets them. */
  async explainAll(hosts: readonly HostData[], call: FunctionCaller): Promise<Explanation[]> {
    if (!this.functions) return hosts.map((host) => this.explain(host));
    return this.functions.resolve(hosts, (host) => this.explain(host), call, (host) => ({
      hostname: host.hostname,
      target: { name: this.name, plugin: this.plugin },
      rules: [],
      error: gaveUpMessage(host.hostname),
    }));
  }

  /** Every rule of the target in order, each condition with the value it saw, what each matching rule set, and the result. */
  explain(host: HostData): Explanation {
    const state: SetState = { outcomes: {}, attributes: {} };
    const explanation: Explanation = { hostname: host.hostname, target: { name: this.name, plugin: this.plugin }, rules: [] };
    let stopped = false;
    for (let index = 0; index < this.rules.length; index++) {
      const rule = this.rules[index]!;
      const trace: RuleTrace = { name: rule.name, at: placeOf(rule), target: rule.target, match: rule.match, last_match: rule.lastMatch, evaluated: !stopped && !explanation.error, matched: false, conditions: [] };
      explanation.rules.push(trace);
      if (stopped || explanation.error) continue;
      try {
        trace.conditions = rule.conditions.map((condition) => {
          const seen = condition.seen(host);
          return { condition: condition.text, seen: seen ?? null, matched: condition.test(seen) };
        });
        trace.matched = this.matchers[index]!(host, this.unread(), this.outcomes);
        if (!trace.matched) continue;
        trace.set = this.apply(index, host, state, true);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        trace.error = explanation.error = this.failure(host, rule, error);
        continue;
      }
      if (rule.lastMatch) stopped = true;
    }
    if (explanation.error) return explanation;
    try {
      const { ignored, host: target } = this.result(host, state);
      explanation.result = { ignored, labels: target.labels, inventory: target.inventory, outcomes: target.outcomes };
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      explanation.error = this.failure(host, undefined, error);
    }
    return explanation;
  }
}
