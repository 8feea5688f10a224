import { REDACTED } from "../core/redact.ts";
import type { Config } from "./load.ts";
import { ConfigSchema, type ConfigFile } from "./schema.ts";
import { dottedPath } from "../core/problems.ts";

/** What the dump shows of a bound account: its options, where each value came from, and which are secret. */
export interface AccountOptions {
  options: Record<string, { value: unknown; origin: string; secret: boolean }>;
}

/**
 * The effective configuration as plain data: the file's values with every default filled in, paths
 * made absolute, and each secret replaced by a marker naming where it came from, never its value.
 */
export function effectiveConfig(config: Config, accounts?: Map<string, AccountOptions>): Record<string, unknown> {
  const mask = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === "string") {
      const references = config.secrets.get(dottedPath(path));
      if (references === undefined) return node;
      return references.length ? `${REDACTED} (from ${references.map((ref) => `\${${ref}}`).join(", ")})` : REDACTED;
    }
    if (Array.isArray(node)) return node.map((item, i) => mask(item, [...path, i]));
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, mask(value, [...path, key])]));
    }
    return node;
  };
  // Every section of the schema, in its order: a section added later is dumped without being listed here.
  const derived: Record<string, unknown> = {
    server: { ...config.server, data_dir: config.paths.dataDir, database: config.paths.database },
    plugins: { ...config.plugins, directories: config.paths.pluginDirectories },
    // Each rule with the file it is written in (the config's own or an included one).
    rules: config.rules.map(({ rule, origin }) => ({ ...rule, file: origin.file })),
    accounts: Object.fromEntries(Object.entries(config.accounts).map(([name, account]) => [name, { ...account, ...optionsOf(accounts?.get(name)) }])),
  };
  const sections = Object.keys(ConfigSchema.entries).map((section) => [section, section in derived ? derived[section] : config[section as keyof ConfigFile]]);
  return mask(Object.fromEntries(sections), []) as Record<string, unknown>;
}

/** Each resolved option with its value and where it came from, like `ansible-config dump`. */
function optionsOf(account: AccountOptions | undefined): { options?: Record<string, { value: unknown; origin: string }> } {
  if (!account) return {};
  return {
    options: Object.fromEntries(
      Object.entries(account.options).map(([name, option]) => [
        name,
        { value: option.secret && option.value !== undefined ? REDACTED : (option.value ?? null), origin: option.origin },
      ]),
    ),
  };
}
