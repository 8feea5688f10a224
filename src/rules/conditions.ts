import { MATCH_TYPES, MAX_REGEX_LENGTH, type ConditionConfig, type MatchType } from "../config/rules.ts";
import { closestMatch } from "../core/problems.ts";
import { keyReader, type HostData } from "./host.ts";
import type { PluginFunction, PluginFunctions } from "./plugin-functions.ts";

/**
 * A condition compiled once: what it reads from a host, and a test of that value that includes its
 * negation. CMDBSyncer's semantics: every comparison is case-insensitive; a condition on a label or
 * inventory key the host does not have never matches, negated or not, except `ignore`, which matches any
 * value and, negated, asks exactly that the key is missing.
 */
export interface CompiledCondition {
  /** How the condition reads in the explanation: `label site equal "berlin"`, `hostname not swith "web"`. */
  readonly text: string;
  /** What it reads, the same for every condition on it: "hostname", "label site", "inventory cmdb__os". */
  readonly subject: string;
  /** The host's value it looks at; undefined when the host does not have it. */
  seen(host: HostData): unknown;
  /** Whether the value seen matches, negation applied. */
  test(value: unknown): boolean;
  /** The same for the value already in lower case (`lowered`): rules read each value once per host. */
  testLowered(text: string | undefined): boolean;
  /**
   * For a plain `equal` or `in_list`: the values (in lower case, trimmed) it can hold for; rules skip at
   * once the rules these rule out.
   */
  readonly oneOf?: readonly string[];
  /** A plugin's test: it sees the value as it is, not in lower case (`test`, never `testLowered`). */
  readonly pluginTest?: PluginFunction;
}

/** Why a condition does not compile, and at which of its keys. */
export interface ConditionProblem {
  key: "hostname" | "match" | "value";
  message: string;
}

/** A host's value as the comparisons see it: its text in lower case (inventory may hold numbers and booleans). */
export function lowered(value: unknown): string {
  return (typeof value === "string" ? value : String(value)).toLowerCase();
}

/** CMDBSyncer's make_bool: true/false, "true"/"false" and "none" in any case; anything else is no boolean. */
function asBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const text = lowered(value);
  if (text === "true") return true;
  if (text === "false" || text === "none") return false;
  return undefined;
}

/** The items of a comma-separated list, trimmed and in lower case. */
function listItems(text: string): string[] {
  return text.split(",").map((item) => item.trim().toLowerCase());
}

/** A comparison of the host's value in lower case. */
type Compare = (text: string) => boolean;

function scalar(condition: ConditionConfig): string | ConditionProblem {
  const { value } = condition;
  if (value === undefined) return { key: "match", message: `match "${condition.match}" needs a value` };
  if (Array.isArray(value)) return { key: "value", message: `match "${condition.match}" compares with one value, not a list (in_list takes a list)` };
  return lowered(value);
}

/** The comparison of a match type, before negation. */
function comparison(condition: ConditionConfig, match: MatchType): Compare | ConditionProblem {
  if (match === "ignore") return () => true;
  if (match === "in_list") {
    const { value } = condition;
    if (value === undefined) return { key: "match", message: 'match "in_list" needs a value: a list, or a comma-separated string' };
    const items = new Set(Array.isArray(value) ? value.map((item) => item.trim().toLowerCase()) : listItems(String(value)));
    return (text) => items.has(text.trim());
  }
  if (match === "bool") {
    if (condition.value === undefined) return { key: "match", message: 'match "bool" needs a value: true or false' };
    const wanted = Array.isArray(condition.value) ? undefined : asBool(condition.value);
    if (wanted === undefined) return { key: "value", message: 'match "bool" compares with true or false' };
    return (text) => asBool(text) === wanted;
  }
  if (match === "regex") {
    if (typeof condition.value !== "string") return { key: condition.value === undefined ? "match" : "value", message: 'match "regex" needs a pattern (a string)' };
    if (condition.value.length > MAX_REGEX_LENGTH) return { key: "value", message: `a pattern of ${condition.value.length} characters; at most ${MAX_REGEX_LENGTH}` };
    let pattern: RegExp;
    try {
      // From the start of the value, as CMDBSyncer's re.match; case-insensitive like every match.
      pattern = new RegExp(`^(?:${condition.value})`, "i");
    } catch (error) {
      return { key: "value", message: `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}` };
    }
    // On the value in lower case: the pattern is case-insensitive, so it matches as on the value itself.
    return (text) => pattern.test(text);
  }
  const needle = scalar(condition);
  if (typeof needle !== "string") return needle;
  switch (match) {
    case "equal":
      return (text) => text === needle;
    case "in":
      return (text) => text.includes(needle);
    case "not_in":
      return (text) => !text.includes(needle);
    case "string_in_list":
      return (text) => listItems(text).includes(needle);
    case "swith":
      return (text) => text.startsWith(needle);
    case "ewith":
      return (text) => text.endsWith(needle);
  }
}

function subjectOf(condition: ConditionConfig): { text: string; seen: (host: HostData) => unknown } | ConditionProblem {
  const subjects = [condition.hostname !== undefined, condition.label !== undefined, condition.inventory !== undefined].filter(Boolean).length;
  if (subjects === 0) return { key: "match", message: 'a condition on nothing: give hostname = true, label = "<name>" or inventory = "<key>"' };
  if (subjects > 1) return { key: "match", message: "a condition on more than one thing: give one of hostname = true, label or inventory" };
  if (condition.hostname) return { text: "hostname", seen: (host) => host.hostname };
  if (condition.label !== undefined) {
    const read = keyReader(condition.label);
    return { text: `label ${condition.label}`, seen: (host) => read(host.labels) };
  }
  const read = keyReader(condition.inventory!);
  // A null inventory value counts as missing: there is nothing to compare.
  return { text: `inventory ${condition.inventory}`, seen: (host) => read(host.inventory) ?? undefined };
}

/** The plugins' condition tests rules may use, by the name rules write (`<ident>_<test>`). */
export interface PluginTests {
  byName: ReadonlyMap<string, PluginFunction>;
  functions: PluginFunctions;
}

const isMatchType = (match: string): match is MatchType => (MATCH_TYPES as readonly string[]).includes(match);

function unknownMatch(match: string, tests: PluginTests | undefined): ConditionProblem {
  const names = [...(tests?.byName.values() ?? [])].filter((fn) => fn.kind === "test").map((fn) => fn.name);
  const best = closestMatch(match, [...MATCH_TYPES, ...names]);
  const known = `match types: ${MATCH_TYPES.join(", ")}${names.length > 0 ? `; plugin tests: ${names.join(", ")}` : ""}`;
  return { key: "match", message: `unknown match type '${match}'${best ? `; did you mean '${best}'?` : ""} (${known})` };
}

/** A condition with a plugin's test: it holds when the plugin answers true for the host's value (and the condition's value as argument). */
function pluginCondition(condition: ConditionConfig, subject: { text: string; seen: (host: HostData) => unknown }, fn: PluginFunction, functions: PluginFunctions): CompiledCondition | ConditionProblem {
  const { value, negate } = condition;
  if (value === undefined && fn.minArgs > 0) return { key: "match", message: `test ${fn.name} needs a value` };
  if (value !== undefined && fn.maxArgs === 0) return { key: "value", message: `test ${fn.name} takes no value` };
  const args = value === undefined ? [] : [value];
  const text = `${subject.text} ${negate ? "not " : ""}${fn.name}${value === undefined ? "" : ` ${JSON.stringify(value)}`}`;
  // As every match: a value the host does not have never holds, negated or not.
  const test = (seen: unknown) => seen !== undefined && functions.test(fn, seen, args) !== negate;
  return { text, subject: subject.text, seen: subject.seen, test, testLowered: () => false, pluginTest: fn };
}

/** The values a plain equal or in_list can hold for, trimmed (in_list trims the host's value; equal's values are a superset). */
function valuesOf(condition: ConditionConfig): string[] | undefined {
  const { value } = condition;
  if (value === undefined) return undefined;
  if (condition.match === "equal" && !Array.isArray(value)) return [lowered(value).trim()];
  if (condition.match === "in_list") return Array.isArray(value) ? value.map((item) => item.trim().toLowerCase()) : listItems(String(value));
  return undefined;
}

/**
 * `equal`, the commonest condition, as one comparison rather than a call of the comparison inside the
 * test: 200 rules mostly compare labels with values (undefined, a missing value, is never the value).
 */
function plainEqual(condition: ConditionConfig, negate: boolean): ((value: string | undefined) => boolean) | undefined {
  if (condition.match !== "equal" || condition.value === undefined || Array.isArray(condition.value)) return undefined;
  const needle = lowered(condition.value);
  return negate ? (value) => value !== undefined && value !== needle : (value) => value === needle;
}

export function compileCondition(condition: ConditionConfig, tests?: PluginTests): CompiledCondition | ConditionProblem {
  const subject = subjectOf(condition);
  if ("message" in subject) return subject;
  if (!isMatchType(condition.match)) {
    const fn = tests?.byName.get(condition.match);
    return fn?.kind === "test" ? pluginCondition(condition, subject, fn, tests!.functions) : unknownMatch(condition.match, tests);
  }
  const compare = comparison(condition, condition.match);
  if (typeof compare !== "function") return compare;
  const negate = condition.negate;
  const shown = condition.value === undefined ? "" : ` ${JSON.stringify(condition.value)}`;
  const text = `${subject.text} ${negate ? "not " : ""}${condition.match}${shown}`;
  // A missing value: only a negated ignore matches it.
  const missing = condition.match === "ignore" && negate;
  const testLowered = plainEqual(condition, negate) ?? (negate ? (value: string | undefined) => (value === undefined ? missing : !compare(value)) : (value: string | undefined) => value !== undefined && compare(value));
  const oneOf = negate ? undefined : valuesOf(condition);
  return {
    text,
    subject: subject.text,
    seen: subject.seen,
    testLowered,
    ...(oneOf === undefined ? {} : { oneOf }),
    test: (value) => testLowered(value === undefined ? undefined : lowered(value)),
  };
}
