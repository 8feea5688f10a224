/**
 * Rules compiled from config text against a fixed set of plugins, for the specifications in test/rules/:
 * checkmk declares outcomes (a closed list), ansible declares groups and "*" (any other key is a host
 * variable), csv declares none.
 */
import { parseConfig } from "../../src/config/load.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { formatProblem } from "../../src/core/problems.ts";
import { compileRules, type RuleBook, type TargetCatalog } from "../../src/rules/compile.ts";
import type { HostData } from "../../src/rules/host.ts";

export const CONFIG_FILE = "/etc/syncer/sync.config.toml";

export const PLUGINS: TargetCatalog["plugins"] = new Map<string, readonly string[] | undefined>([
  ["checkmk", ["folder", "site", "attributes.*", "labels.*"]],
  ["ansible", ["groups", "*"]],
  ["csv", undefined],
]);

/** The config's rules compiled, or the problems they have, each as `file:line:column: key: message`. */
export function compiled(text: string, file = CONFIG_FILE, functions: TargetCatalog["functions"] = []): { book: RuleBook; problems: string[] } {
  const config = parseConfig(text, file, {});
  const catalog: TargetCatalog = { plugins: PLUGINS, accounts: new Map(Object.entries(config.accounts).map(([name, account]) => [name, account.plugin])), functions };
  const { book, problems } = compileRules(config, catalog);
  return { book, problems: problems.map(formatProblem) };
}

/** Rules that must compile. */
export function ruleBook(text: string, file = CONFIG_FILE): RuleBook {
  const { book, problems } = compiled(text, file);
  if (problems.length > 0) throw new Error(`the rules do not compile:\n${problems.join("\n")}`);
  return book;
}

/** The problems of rules that must not compile (config errors from loading included). */
export function problemsOf(text: string, file = CONFIG_FILE): string[] {
  try {
    return compiled(text, file).problems;
  } catch (error) {
    if (!(error instanceof SyncerError) || error.kind !== "config") throw error;
    return ((error.details?.problems ?? []) as Parameters<typeof formatProblem>[0][]).map(formatProblem);
  }
}

export function host(hostname: string, labels: Record<string, string> = {}, inventory: Record<string, unknown> = {}, account: string | null = "cmdb"): HostData {
  return { hostname, account, labels, inventory };
}
