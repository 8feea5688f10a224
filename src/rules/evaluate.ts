import { filtered, rewritten, type AttributeFilter, type CompiledRewrite } from "./attributes.ts";
import type { HostData } from "./host.ts";
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
}

/** What the matching rules have set so far for one host. */
interface SetState {
  outcomes: Record<string, unknown>;
  attributes: Record<string, string>;
}

/** An attribute's value is text, as a label's: numbers and booleans as written, lists comma-separated. */
function attributeText(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

function valueOf(value: CompiledValue, scope: () => TemplateScope): unknown {
  return "constant" in value ? value.constant : value.render(scope());
}

export class TargetRules {
  private readonly entries: TargetEntry[][];

  constructor(
    /** The account's name, or the plugin's ident. */
    readonly name: string,
    readonly plugin: string,
    readonly rules: readonly CompiledRule[],
    private readonly vocabulary: Vocabulary,
    private readonly filter: AttributeFilter,
    private readonly rewrites: readonly CompiledRewrite[],
  ) {
    this.entries = rules.map((rule) => rule.set.map((entry) => ({ entry, outcome: isOutcome(vocabulary, entry.key, entry.table) })));
  }

  /** Whether the target gets each host as it is: no rule, no filter, no rewrite. */
  get passThrough(): boolean {
    return this.rules.length === 0 && this.filter === undefined && this.rewrites.length === 0;
  }

  private scopeOf(host: HostData, state: SetState): TemplateScope {
    return { hostname: host.hostname, account: host.account, labels: host.labels, inventory: host.inventory, target: this.name, outcomes: state.outcomes, attributes: state.attributes };
  }

  /** Writes what a matching rule sets into the state; returns the values, rendered, when `shown`. */
  private apply(index: number, host: HostData, state: SetState, shown: boolean): Record<string, unknown> | undefined {
    let scope: TemplateScope | undefined;
    const lazyScope = () => (scope ??= this.scopeOf(host, state));
    const rendered: Record<string, unknown> | undefined = shown ? {} : undefined;
    for (const { entry, outcome } of this.entries[index]!) {
      if (!entry.table) {
        const value = valueOf(entry.value, lazyScope);
        if (outcome) state.outcomes[entry.key] = value;
        else state.attributes[entry.key] = attributeText(value);
        if (rendered) rendered[entry.key] = value;
        continue;
      }
      const table = outcome ? ((state.outcomes[entry.key] as Record<string, unknown> | undefined) ?? (state.outcomes[entry.key] = {})) : undefined;
      for (const [name, compiled] of entry.entries) {
        const value = valueOf(compiled, lazyScope);
        if (table) table[name] = value;
        else state.attributes[`${entry.key}.${name}`] = attributeText(value);
        if (rendered) rendered[`${entry.key}.${name}`] = value;
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
    let current: CompiledRule | undefined;
    try {
      for (let index = 0; index < this.rules.length; index++) {
        const rule = this.rules[index]!;
        if (!rule.matches(host)) continue;
        current = rule;
        this.apply(index, host, state, false);
        if (rule.lastMatch) break;
      }
      current = undefined;
      return { ok: true, ...this.result(host, state) };
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      return { ok: false, hostname: host.hostname, message: this.failure(host, current, error) };
    }
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
      trace.conditions = rule.conditions.map((condition) => {
        const seen = condition.seen(host);
        return { condition: condition.text, seen: seen ?? null, matched: condition.test(seen) };
      });
      trace.matched = rule.matches(host);
      if (!trace.matched) continue;
      try {
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
