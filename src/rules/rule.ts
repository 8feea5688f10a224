import type { RULE_MATCHES } from "../config/rules.ts";
import type { SourcePosition } from "../core/problems.ts";
import type { CompiledCondition } from "./conditions.ts";
import type { TemplateScope } from "./template.ts";

/** One value a rule sets: a constant, or rendered per host from its templates. */
export interface CompiledValue {
  /** The value as written (a template's source), for listings. */
  readonly written: unknown;
  /** Set when the value holds no template: the same for every host. */
  readonly constant?: unknown;
  /** Whether its templates use plugins' filters. */
  readonly usesPlugins?: boolean;
  /** Whether a template of it may render otherwise at another time (Template.unstable). */
  readonly unstable?: boolean;
  render(scope: TemplateScope): unknown;
}

/** A key a rule sets: one value, or a table of them (`attributes.tag_agent = "…"`). */
export type CompiledSetEntry =
  | { readonly key: string; readonly table: false; readonly value: CompiledValue }
  | { readonly key: string; readonly table: true; readonly entries: readonly (readonly [string, CompiledValue])[] };

/** A rule compiled once: its conditions, what it sets, and where it is written. */
export interface CompiledRule {
  readonly name: string;
  /** "*", a plugin ident or an account name. */
  readonly target: string;
  readonly match: (typeof RULE_MATCHES)[number];
  readonly lastMatch: boolean;
  readonly conditions: readonly CompiledCondition[];
  readonly set: readonly CompiledSetEntry[];
  /** Whether its conditions or templates use plugins' tests or filters. */
  readonly usesPlugins: boolean;
  /** Whether a template of it may render otherwise at another time (Template.unstable). */
  readonly unstable: boolean;
  /** The rule as written (its config, JSON): what it does, for keys of what is kept between runs. */
  readonly written: string;
  readonly file: string;
  readonly position?: SourcePosition;
}

/** Where a rule is written, as messages say it: `sync.config.toml:12:1`. */
export function placeOf(rule: CompiledRule): string {
  return rule.position ? `${rule.file}:${rule.position.line}:${rule.position.column}` : rule.file;
}
