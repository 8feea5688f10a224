import * as v from "valibot";

/**
 * The shape of `[[rules]]`, `[targets.<name>]` and `[include]` in sync.config.toml (and of the rule files
 * it includes). Only structure lives here, so that the config's schema and its JSON Schema hold it;
 * what needs the plugins or a compiler (targets, outcomes, regexes, templates) is checked when the rules
 * are compiled (src/rules/compile.ts).
 */

/** CMDBSyncer's match types, with its names. */
export const MATCH_TYPES = ["equal", "in", "not_in", "in_list", "string_in_list", "swith", "ewith", "regex", "bool", "ignore"] as const;
export type MatchType = (typeof MATCH_TYPES)[number];

/** CMDBSyncer's condition_typ: all conditions, any of them, or none needed. */
export const RULE_MATCHES = ["all", "any", "anyway"] as const;

/** The longest regex a condition may hold: a pattern is compiled once, but a huge one is a mistake or an attack. */
export const MAX_REGEX_LENGTH = 1000;
/** The longest template a rule or rewrite may hold. */
export const MAX_TEMPLATE_LENGTH = 10_000;

const ConditionValue = v.union(
  [v.string(), v.number(), v.boolean(), v.array(v.string())],
  "a string, number, boolean or list of strings",
);

export const ConditionSchema = v.strictObject({
  hostname: v.optional(v.pipe(v.literal(true), v.description("The condition is on the hostname (write hostname = true)."))),
  label: v.optional(v.pipe(v.string(), v.minLength(1, "a label name"), v.description("The condition is on this label's value."))),
  inventory: v.optional(v.pipe(v.string(), v.minLength(1, "an inventory key"), v.description('The condition is on this inventory key\'s value ("<namespace>__<field>").'))),
  // A union rather than a picklist: a plugin's condition test is a match type too (`<ident>_<test>`), known
  // only when the rules are compiled, which checks the name with a did-you-mean. Editors still offer these.
  match: v.pipe(
    v.union([v.picklist(MATCH_TYPES), v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/))], "a match type"),
    v.description(
      "equal, in (contains), not_in (does not contain), in_list (one of a list), string_in_list (the host's list holds it), swith (starts with), ewith (ends with), regex (from the start), bool, ignore (any value; negated: the label is missing). Every match is case-insensitive. Or a plugin's condition test, <ident>_<test>, the value its argument.",
    ),
  ),
  value: v.optional(v.pipe(ConditionValue, v.description("What the host's value is compared with; in_list takes a list or a comma-separated string."))),
  negate: v.optional(v.pipe(v.boolean(), v.description("Match when the comparison fails (a missing label still never matches, except with ignore).")), false),
});

/** A value a rule sets: a template string, a number, a boolean, a list of template strings. */
const SetLeaf = v.union([v.string(), v.number(), v.boolean(), v.array(v.string())], "a string, number, boolean or list of strings");
export const SetValue = v.union([SetLeaf, v.record(v.string(), SetLeaf)], "a string, number, boolean, list of strings, or a table of them");

export const RuleSchema = v.strictObject({
  name: v.pipe(v.string(), v.minLength(1, "a rule name"), v.description("Shown by `syncer rules debug` and in run logs.")),
  target: v.optional(
    v.pipe(v.string(), v.minLength(1, "a target"), v.description('"*" for every target, or a plugin ident ("checkmk", "ansible") or an account name.')),
    "*",
  ),
  match: v.optional(v.pipe(v.picklist(RULE_MATCHES), v.description("all: every condition; any: one is enough; anyway: the rule always matches.")), "all"),
  last_match: v.optional(v.pipe(v.boolean(), v.description("Stop evaluating this target's rules after this one matched.")), false),
  conditions: v.optional(v.array(ConditionSchema), []),
  set: v.optional(
    v.pipe(
      v.record(v.string(), SetValue),
      v.description("What a matching rule sets: attributes, and the outcomes the target's plugin declares. Strings are Liquid templates."),
    ),
    {},
  ),
});

const SplitSchema = v.strictObject({
  separator: v.pipe(v.string(), v.minLength(1, "a separator")),
  index: v.pipe(v.number(), v.integer(), v.description("Which part: 0 is the first, -1 the last.")),
});

export const RewriteSchema = v.strictObject({
  attribute: v.pipe(v.string(), v.minLength(1, "an attribute name"), v.description('The attributes rewritten: a name, or "prefix*" for every name that starts with prefix.')),
  name: v.optional(v.pipe(v.string(), v.minLength(1, "a new name"), v.description("The new name: a string or a template ({{ name }} is the old name, {{ value }} the value)."))),
  value: v.optional(v.pipe(v.string(), v.description("The new value: a string or a template ({{ value }} is the old value)."))),
  split: v.optional(v.pipe(SplitSchema, v.description("The new value is one part of the old one split at separator."))),
});

export const TargetSchema = v.strictObject({
  filter: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1, "an attribute name or prefix*"))),
      v.description('Which of a host\'s attributes (labels and inventory keys) leave for this target: names and "prefix*" patterns. Not set: all of them.'),
    ),
  ),
  rewrite: v.optional(v.pipe(v.array(RewriteSchema), v.description("Renames and rewrites of attributes, in order, after the filter.")), []),
});

export const IncludeSchema = v.strictObject({
  rules: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.minLength(1, "a file or glob pattern"))),
      v.description('Files of [[rules]] read after this file\'s own, e.g. ["rules.d/*.toml"]: relative to this file, each pattern\'s files in name order.'),
    ),
    [],
  ),
});

/** An included rules file holds rules only. */
export const RulesFileSchema = v.strictObject({ rules: v.optional(v.array(RuleSchema), []) });

export type ConditionConfig = v.InferOutput<typeof ConditionSchema>;
export type RuleConfig = v.InferOutput<typeof RuleSchema>;
export type RewriteConfig = v.InferOutput<typeof RewriteSchema>;
export type TargetConfig = v.InferOutput<typeof TargetSchema>;
export type SetValueConfig = v.InferOutput<typeof SetValue>;
