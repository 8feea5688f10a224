import { SyncerError } from "../core/errors.ts";
import { noAccount, type Account } from "./options.ts";
import type { Plugin } from "./plugin.ts";
import type { Registry } from "./registry.ts";
import { suggestion } from "../core/problems.ts";
import type { JobStep } from "../config/steps.ts";

/** Finds the plugin, command and account a request names; every mistake is a clear error before anything runs. */
/** The plugins and the accounts bound to them: what a target is resolved in. */
export interface Catalog {
  registry: Registry;
  accounts: Map<string, Account>;
}

export function resolveTarget(setup: Catalog, request: JobStep): { plugin: Plugin; account: Account | undefined } {
  const plugin = setup.registry.plugins.get(request.plugin);
  if (!plugin) throw new SyncerError("not_found", `no plugin '${request.plugin}'${suggestion(request.plugin, [...setup.registry.plugins.keys()])}`);
  refuseDisabled(plugin);
  const commands = Object.keys(plugin.manifest.commands);
  const spec = plugin.manifest.commands[request.command];
  if (!spec) {
    throw new SyncerError("not_found", `plugin ${plugin.ident} has no command '${request.command}'${suggestion(request.command, commands)}${commands.length ? ` (commands: ${commands.join(", ")})` : ""}`);
  }
  const own = [...setup.accounts.values()].filter((account) => account.plugin.ident === plugin.ident).map((account) => account.name);
  if (request.account === undefined) {
    if (spec.account === "required") {
      throw new SyncerError("usage", `${plugin.ident} ${request.command} needs an account${own.length ? ` (accounts of ${plugin.ident}: ${own.join(", ")})` : `; add one with \`syncer accounts new ${plugin.ident} <name>\``}`);
    }
    return { plugin, account: undefined };
  }
  if (spec.account === "none") throw new SyncerError("usage", `${plugin.ident} ${request.command} takes no account`);
  const account = setup.accounts.get(request.account);
  if (!account) throw noAccount(request.account, own, `accounts of ${plugin.ident}`);
  refuseUnusableAccount(account, plugin);
  return { plugin, account };
}

/** A disabled plugin is not called at all: not by a run, nor by `syncer plugins call`. */
export function refuseDisabled(plugin: Plugin): void {
  if (!plugin.manifest.enabled) throw new SyncerError("disabled", `plugin ${plugin.ident} is disabled (${plugin.manifestPath})`);
}

/** An account is used only with its own plugin, and not while it is disabled. */
export function refuseUnusableAccount(account: Account, plugin: Plugin): void {
  if (account.plugin.ident !== plugin.ident) throw new SyncerError("usage", `account ${account.name} belongs to plugin ${account.plugin.ident}, not ${plugin.ident}`);
  if (!account.config.enabled) throw new SyncerError("disabled", `account ${account.name} is disabled (enabled = false)`);
}
