import { closestMatch } from "../core/problems.ts";

/**
 * The outcomes a target understands, as its plugin's manifest declares them (`outcomes`): `"folder"` (a
 * value), `"attributes.*"` (a table: `attributes.tag_agent = "cmk-agent"`), and `"*"` (any other key is
 * an attribute). A plugin that declares none understands only `ignore_host`, which every target does;
 * everything else its rules set is an attribute.
 */

/** Every target drops a host that a rule gives ignore_host = true. */
export const IGNORE_HOST = "ignore_host";

export interface Vocabulary {
  /** Outcomes that take one value. */
  values: Set<string>;
  /** Outcomes that take a table (declared as "name.*"). */
  tables: Set<string>;
  /** Whether a rule for this target may set keys it does not declare (as attributes): no list, or "*" in it. */
  open: boolean;
}

export function vocabularyOf(declared: readonly string[] | undefined): Vocabulary {
  const vocabulary: Vocabulary = { values: new Set([IGNORE_HOST]), tables: new Set(), open: declared === undefined };
  for (const entry of declared ?? []) {
    if (entry === "*") vocabulary.open = true;
    else if (entry.endsWith(".*")) vocabulary.tables.add(entry.slice(0, -2));
    else vocabulary.values.add(entry);
  }
  return vocabulary;
}

/** Whether a key a rule sets, with a table or a single value, is one of the target's outcomes. */
export function isOutcome(vocabulary: Vocabulary, key: string, table: boolean): boolean {
  return table ? vocabulary.tables.has(key) : vocabulary.values.has(key);
}

/** Why a rule written for this target may not set `key`, or undefined when it may. */
export function refusedKey(vocabulary: Vocabulary, key: string, table: boolean, target: string): string | undefined {
  if (isOutcome(vocabulary, key, table) || vocabulary.open) return undefined;
  if (table && vocabulary.values.has(key)) return `${target}'s outcome '${key}' takes one value, not a table`;
  if (!table && vocabulary.tables.has(key)) return `${target}'s outcome '${key}' takes a table (write ${key}.<name> = …)`;
  const names = [...vocabulary.values, ...[...vocabulary.tables].map((name) => `${name}.*`)];
  const best = closestMatch(key, names);
  return `${target} has no outcome '${key}'${best ? `; did you mean '${best}'?` : ""} (outcomes: ${names.join(", ")})`;
}
