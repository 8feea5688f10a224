import { SyncerError } from "../core/errors.ts";
import { registerSecret } from "../core/redact.ts";
import type { Config } from "../config/load.ts";
import type { AccountConfig } from "../config/schema.ts";
import { dottedPath, suggestion, type KeyPath, type Problem } from "../core/problems.ts";
import type { OptionSpec, OptionValue } from "./manifest/schema.ts";
import type { Plugin } from "./plugin.ts";
import type { Registry } from "./registry.ts";

/** An option's value for one account and where it came from (shown by `config dump`). */
export interface ResolvedOption {
  value: OptionValue | undefined;
  /** `accounts.<a>.custom_fields.<o>`, `env SYNCER_<IDENT>_<OPTION>`, `plugins.<ident>.<o>` or `default`. */
  origin: string;
  secret: boolean;
}

/** An account bound to its plugin, its options resolved and typed. */
export interface Account {
  name: string;
  plugin: Plugin;
  config: AccountConfig;
  options: Record<string, ResolvedOption>;
}

/** A name that is not an account: the closest one and the accounts there are (`which` says which ones are listed). */
export function noAccount(name: string, known: string[], which = "accounts"): SyncerError {
  const there = known.length ? ` (${which}: ${known.join(", ")})` : ` (there are no ${which}; \`syncer accounts new <plugin> <name>\` prints one to add)`;
  return new SyncerError("not_found", `no account '${name}'${suggestion(name, known)}${there}`);
}

const TRUE = new Set(["true", "yes", "on", "1"]);
const FALSE = new Set(["false", "no", "off", "0"]);

/** A boolean written as TOML or text ("True", "no", "1"…); undefined when it is neither. */
export function parseBool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (text !== undefined && TRUE.has(text)) return true;
  if (text !== undefined && FALSE.has(text)) return false;
  return undefined;
}

/** Coerces a value written in TOML or an environment variable to the option's type; a string says what is wrong. */
export function coerceOption(spec: OptionSpec, value: unknown): { value: OptionValue } | { error: string } {
  const text = typeof value === "string" ? value.trim() : undefined;
  switch (spec.type) {
    case "string":
      return typeof value === "string" ? { value } : { error: `expected a string, found ${JSON.stringify(value)}` };
    case "int":
      if (typeof value === "number" && Number.isInteger(value)) return { value };
      if (text !== undefined && /^-?\d+$/.test(text)) return { value: Number(text) };
      return { error: `expected an integer, found ${JSON.stringify(value)}` };
    case "bool": {
      const parsed = parseBool(value);
      return parsed === undefined ? { error: `expected a boolean (true/false), found ${JSON.stringify(value)}` } : { value: parsed };
    }
    case "list":
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return { value };
      if (text !== undefined) return { value: text.split(",").map((item) => item.trim()).filter(Boolean) };
      return { error: `expected a list of strings, found ${JSON.stringify(value)}` };
    case "choice":
      if (typeof value === "string" && spec.choices?.includes(value)) return { value };
      return { error: `expected one of ${(spec.choices ?? []).map((c) => JSON.stringify(c)).join(", ")}, found ${JSON.stringify(value)}` };
  }
}

/** Custom fields the host itself reads for a plugin with HTTP (PluginRuntime's HTTP policy): per-attempt timeout, TLS verification. */
export const HTTP_ACCOUNT_FIELDS = ["timeout", "verify_cert"] as const;

/** The custom fields an account of this plugin may set: its options, its presets, and what the host reads for HTTP. */
export function accountFieldNames(plugin: Plugin): string[] {
  const { manifest } = plugin;
  const names = [...Object.keys(manifest.options), ...Object.keys(manifest.account_custom_field_presets), ...(manifest.permissions.http ? HTTP_ACCOUNT_FIELDS : [])];
  return [...new Set(names)];
}

export function optionEnvName(ident: string, option: string): string {
  return `SYNCER_${ident}_${option}`.toUpperCase();
}

/** Records a config value as secret, so `config dump` masks it and the redactor hides it. */
function markSecret(config: Config, path: KeyPath, value: unknown): void {
  const key = dottedPath(path);
  config.secrets.set(key, config.secrets.get(key) ?? []);
  if (typeof value === "string") registerSecret(value);
}

/**
 * Binds every account to its plugin and resolves its options in the order account custom field >
 * SYNCER_<IDENT>_<OPTION> > [plugins.<ident>] > default, typed. Every problem names the account and
 * option, with file:line:column where the value is written.
 */
export function resolveAccounts(
  config: Config,
  registry: Registry,
  env: NodeJS.ProcessEnv = process.env,
): { accounts: Map<string, Account>; pluginOptions: Map<string, Record<string, ResolvedOption>>; problems: Problem[] } {
  const problems: Problem[] = [];
  const problem = (path: KeyPath, message: string, part: "key" | "value" = "value") =>
    problems.push({ file: config.source.path, key: dottedPath(path), position: config.locate(path, part), message });
  const idents = [...registry.plugins.keys()];

  const { directories: _directories, ...pluginTables } = config.plugins;
  for (const [ident, values] of Object.entries(pluginTables)) {
    const plugin = registry.plugins.get(ident);
    if (!plugin) {
      problem(["plugins", ident], `[plugins.${ident}] names no known plugin${suggestion(ident, idents)}`, "key");
      continue;
    }
    const known = Object.keys(plugin.manifest.options);
    for (const [option, value] of Object.entries(values as Record<string, unknown>)) {
      const spec = plugin.manifest.options[option];
      // A secret written in [plugins.<ident>] is masked whether or not an account ends up using it.
      if (spec?.secret) markSecret(config, ["plugins", ident, option], value);
      if (!spec) {
        problem(["plugins", ident, option], `plugin ${ident} has no option '${option}'${suggestion(option, known)}${known.length ? ` (options: ${known.join(", ")})` : ""}`, "key");
      }
    }
  }

  /**
   * One plugin's options for one account (or for calls without an account: then only env, [plugins.<ident>]
   * and defaults apply, and a missing required option is the account's problem, not the plugin's).
   */
  const resolveOptions = (plugin: Plugin, account: { name: string; config: AccountConfig } | undefined): Record<string, ResolvedOption> => {
    const options: Record<string, ResolvedOption> = {};
    const defaults = (pluginTables[plugin.ident] ?? {}) as Record<string, unknown>;
    const owner = account ? `account ${account.name}` : `plugin ${plugin.ident}`;
    for (const [option, spec] of Object.entries(plugin.manifest.options)) {
      const envName = optionEnvName(plugin.ident, option);
      const sources: [string, unknown, KeyPath | undefined][] = [
        ...(account
          ? [[`accounts.${account.name}.custom_fields.${option}`, account.config.custom_fields[option], ["accounts", account.name, "custom_fields", option]] as [string, unknown, KeyPath]]
          : []),
        [`env ${envName}`, env[envName], undefined],
        [`plugins.${plugin.ident}.${option}`, defaults[option], ["plugins", plugin.ident, option]],
      ];
      const found = sources.find(([, value]) => value !== undefined && value !== "");
      if (!found) {
        if (account && spec.required && spec.default === undefined) {
          problem(["accounts", account.name], `account ${account.name}: option '${option}' of plugin ${plugin.ident} is required (${spec.description}); set accounts.${account.name}.custom_fields.${option}, ${envName} or [plugins.${plugin.ident}] ${option}`, "key");
        }
        options[option] = { value: spec.default, origin: "default", secret: spec.secret };
        continue;
      }
      const [origin, raw, path] = found;
      const coerced = coerceOption(spec, raw);
      if ("error" in coerced) {
        const message = `${owner}: option '${option}' of plugin ${plugin.ident} (from ${origin}): ${spec.secret ? coerced.error.replace(/, found .*$/, "") : coerced.error}`;
        if (path) problem(path, message);
        else problems.push({ file: config.source.path, message });
        continue;
      }
      if (spec.secret) {
        if (typeof coerced.value === "string") registerSecret(coerced.value);
        if (path) markSecret(config, path, raw);
      }
      options[option] = { value: coerced.value, origin, secret: spec.secret };
    }
    return options;
  };

  /**
   * A custom field the plugin does not know would silently leave its option at the default (a typo such as
   * hostname_colum): an error at the field, where it is written (an inherited one at the parent that has it).
   */
  const reportedFields = new Set<string>();
  const checkCustomFields = (name: string, plugin: Plugin) => {
    const allowed = accountFieldNames(plugin);
    for (const field of Object.keys(config.accounts[name]!.custom_fields)) {
      if (allowed.includes(field)) continue;
      let writer = name;
      for (let parent = config.accounts[writer]!.parent; parent && config.accounts[parent] && field in config.accounts[parent]!.custom_fields; parent = config.accounts[parent]!.parent) writer = parent;
      const path = ["accounts", writer, "custom_fields", field];
      if (reportedFields.has(dottedPath(path))) continue;
      reportedFields.add(dottedPath(path));
      const via = writer === name ? "" : ` (inherited by account ${name})`;
      problem(path, `plugin ${plugin.ident} has no option '${field}'${via}${suggestion(field, allowed)}${allowed.length ? ` (fields: ${allowed.join(", ")})` : ""}`, "key");
    }
  };

  const accounts = new Map<string, Account>();
  for (const [name, account] of Object.entries(config.accounts)) {
    const plugin = registry.plugins.get(account.plugin);
    if (!plugin) {
      problem(["accounts", name, "plugin"], `account ${name} uses plugin '${account.plugin}', which is not installed${suggestion(account.plugin, idents)}`);
      continue;
    }
    if (!plugin.manifest.enabled && account.enabled) {
      problem(["accounts", name, "plugin"], `account ${name} uses plugin '${account.plugin}', which is disabled in ${plugin.manifestPath}; disable the account too (enabled = false)`);
      continue;
    }
    checkCustomFields(name, plugin);
    accounts.set(name, { name, plugin, config: account, options: resolveOptions(plugin, { name, config: account }) });
  }
  const pluginOptions = new Map<string, Record<string, ResolvedOption>>();
  for (const plugin of registry.plugins.values()) {
    // A bad value in [plugins.<ident>] or the environment was reported through the plugin's accounts, if it has any.
    const reported = problems.length;
    pluginOptions.set(plugin.ident, resolveOptions(plugin, undefined));
    if ([...accounts.values()].some((account) => account.plugin === plugin)) problems.splice(reported);
  }
  return { accounts, pluginOptions, problems };
}
