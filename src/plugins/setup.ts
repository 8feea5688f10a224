import { invalid, loadConfig, type Config } from "../config/load.ts";
import { discoverPlugins, type Registry } from "./registry.ts";
import { resolveAccounts, type Account, type ResolvedOption } from "./options.ts";
import { checkJobSteps } from "./job-steps.ts";
import type { Problem } from "../core/problems.ts";
import { compileRules, type RuleBook, type TargetCatalog } from "../rules/compile.ts";
import { pluginFunctionsOf } from "./functions.ts";

/** Everything a command needs before it runs: the config, the plugins, and the accounts bound to them. */
export interface Setup {
  config: Config;
  registry: Registry;
  accounts: Map<string, Account>;
  /** [[rules]] and [targets], compiled against the plugins and accounts. */
  rules: RuleBook;
  /** Each plugin's options without an account (env > [plugins.<ident>] > default), for calls that take none. */
  pluginOptions: Map<string, Record<string, ResolvedOption>>;
  /** Non-fatal: clear-text secrets, plugins refused for a bad manifest. */
  warnings: Problem[];
}

/** Binds a loaded config to the plugins (accounts and job steps); throws one config error listing every problem. */
export function bindSetup(config: Config, env: NodeJS.ProcessEnv = process.env): Setup {
  const registry = discoverPlugins(config.paths.pluginDirectories);
  const { accounts, pluginOptions, problems } = resolveAccounts(config, registry, env);
  const rules = compileRules(config, catalogOf(registry, config));
  const fatal = [...registry.errors, ...problems, ...checkJobSteps(config, registry, accounts), ...rules.problems];
  if (fatal.length > 0) throw invalid(config.source.path, fatal);
  return { config, registry, accounts, rules: rules.book, pluginOptions, warnings: [...config.warnings, ...registry.refused] };
}

/**
 * What rules may target: every plugin with the outcomes it declares, every account of the config with its
 * plugin; and the filters and tests of the enabled plugins.
 */
export function catalogOf(registry: Registry, config: Config): TargetCatalog {
  const plugins = [...registry.plugins.values()];
  return {
    plugins: new Map(plugins.map((plugin) => [plugin.ident, plugin.manifest.outcomes])),
    accounts: new Map(Object.entries(config.accounts).map(([name, account]) => [name, account.plugin])),
    functions: plugins.filter((plugin) => plugin.manifest.enabled).flatMap(pluginFunctionsOf),
  };
}

export function loadSetup(explicitConfig?: string, env: NodeJS.ProcessEnv = process.env): Setup {
  return bindSetup(loadConfig(explicitConfig, env), env);
}
