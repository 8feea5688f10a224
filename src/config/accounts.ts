import { dottedPath } from "../core/problems.ts";
import type { AccountConfig, AccountFile } from "./schema.ts";
import type { SemanticProblem } from "./semantics.ts";

/** What an account inherits from its `parent`; the rest (enabled, is_master, delete_*) is its own. */
const INHERITED = ["plugin", "address", "username", "password", "timeout_seconds"] as const;

/**
 * Applies `parent`: an account takes its parent's (and its grandparent's…) plugin, address, username,
 * password, timeout and custom fields unless it sets them itself. A missing parent, a cycle, or an
 * account left without a plugin is a problem at the account's key. An inherited secret stays masked.
 */
export function inheritAccounts(
  accounts: Record<string, AccountFile>,
  secrets: Map<string, string[]>,
): { accounts: Record<string, AccountConfig>; problems: SemanticProblem[] } {
  const problems: SemanticProblem[] = [];
  const resolved: Record<string, AccountConfig> = {};
  const resolving = new Set<string>();

  const resolve = (name: string): AccountFile | undefined => {
    const own = accounts[name]!;
    if (!own.parent) return own;
    if (resolving.has(name)) {
      problems.push({ path: ["accounts", name, "parent"], message: `account ${name}: its parents form a cycle (${[...resolving, name].join(" → ")})` });
      return undefined;
    }
    if (!(own.parent in accounts)) {
      problems.push({ path: ["accounts", name, "parent"], message: `account ${name}: parent '${own.parent}' is not in [accounts]` });
      return undefined;
    }
    resolving.add(name);
    const parent = resolve(own.parent);
    resolving.delete(name);
    if (!parent) return undefined;
    const merged: AccountFile = { ...own, custom_fields: { ...parent.custom_fields, ...own.custom_fields } };
    for (const key of INHERITED) {
      if (own[key] !== undefined || parent[key] === undefined) continue;
      (merged as Record<string, unknown>)[key] = parent[key];
      const from = secrets.get(dottedPath(["accounts", own.parent, key]));
      if (from) secrets.set(dottedPath(["accounts", name, key]), from);
    }
    for (const field of Object.keys(parent.custom_fields)) {
      const from = secrets.get(dottedPath(["accounts", own.parent, "custom_fields", field]));
      if (from && !(field in own.custom_fields)) secrets.set(dottedPath(["accounts", name, "custom_fields", field]), from);
    }
    return merged;
  };

  for (const name of Object.keys(accounts)) {
    const account = resolve(name);
    if (!account) continue;
    if (account.plugin === undefined) {
      problems.push({ path: ["accounts", name], message: `account ${name} needs a plugin (or a parent that has one)` });
      continue;
    }
    resolved[name] = { ...account, plugin: account.plugin };
  }
  return { accounts: resolved, problems };
}
