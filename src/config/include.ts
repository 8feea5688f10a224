import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import * as v from "valibot";
import { describeSystemError } from "../core/errors.ts";
import { issuesToProblems, type KeyPath, type Locate, type Problem } from "../core/problems.ts";
import { parseTomlText, SourceLocator } from "./locate.ts";
import { RulesFileSchema, type RuleConfig } from "./rules.ts";

/** Where a rule is written: its file and key path there, and how to find a key of that file. */
export interface RuleOrigin {
  file: string;
  path: KeyPath;
  locate: Locate;
}

export interface PlacedRule {
  rule: RuleConfig;
  origin: RuleOrigin;
}

/** The rules of the included files, in order, with what is wrong in them; `files` also lists those that failed. */
export interface IncludedRules {
  rules: PlacedRule[];
  files: string[];
  problems: Problem[];
}

const GLOB_CHARACTERS = /[*?[\]{}]/;

/**
 * The directory a pattern's files are in, or under: its part before the first glob character. A
 * watcher watches it, so a file added there reloads the config.
 */
export function patternBase(pattern: string, configDir: string): string {
  const absolute = isAbsolute(pattern) ? pattern : join(configDir, pattern);
  const glob = absolute.search(GLOB_CHARACTERS);
  return glob < 0 ? dirname(absolute) : dirname(absolute.slice(0, glob) + "x");
}

/** The files a pattern names, in name order; a pattern without glob characters names one file, which must exist. */
function filesOf(pattern: string, configDir: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : join(configDir, pattern);
  if (!GLOB_CHARACTERS.test(absolute)) return [absolute];
  const base = patternBase(pattern, configDir);
  // rules.d may not be there yet: a pattern that matches nothing includes nothing.
  if (!existsSync(base)) return [];
  const glob = new Bun.Glob(relative(base, absolute));
  return [...glob.scanSync({ cwd: base, absolute: true, onlyFiles: true })].sort();
}

/** Reads one rules file: its rules, each placed in it, or what is wrong with it at file:line:column. */
function readRulesFile(file: string): { rules: PlacedRule[]; problems: Problem[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { rules: [], problems: [{ file, message: `cannot read the included rules file: ${describeSystemError(error)}` }] };
  }
  const raw = parseTomlText(text, file);
  if (!raw.ok) return { rules: [], problems: [raw.problem] };
  let locator: SourceLocator | undefined;
  const locate: Locate = (path, part) => (locator ??= new SourceLocator(text)).find(path, part);
  const parsed = v.safeParse(RulesFileSchema, raw.value);
  if (!parsed.success) return { rules: [], problems: issuesToProblems(parsed.issues, RulesFileSchema, { file, format: "toml", locate }) };
  return { rules: parsed.output.rules.map((rule, index) => ({ rule, origin: { file, path: ["rules", index], locate } })), problems: [] };
}

/** Reads the rules files `[include] rules` names, pattern by pattern, each pattern's files in name order. */
export function readIncludedRules(patterns: string[], configDir: string): IncludedRules {
  const included: IncludedRules = { rules: [], files: [], problems: [] };
  for (const pattern of patterns) {
    for (const file of filesOf(pattern, configDir)) {
      included.files.push(file);
      const { rules, problems } = readRulesFile(file);
      included.rules.push(...rules);
      included.problems.push(...problems);
    }
  }
  return included;
}
