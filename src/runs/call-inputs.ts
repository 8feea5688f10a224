import { statSync } from "node:fs";
import { VERSION } from "../core/version.ts";
import type { Account, ResolvedOption } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import { moduleDigest } from "../plugins/runtime.ts";
import type { TargetRules } from "../rules/evaluate.ts";

/**
 * Syncer's own part in what a plugin is given (the request it writes, the rules engine, the sandbox's checks):
 * what one build kept is not taken by another. The binary's size and time stand for its build; run from
 * source, only the version does (bun's own binary is the executable).
 */
const BUILD = (() => {
  try {
    const { size, mtimeMs } = statSync(process.execPath);
    return `${VERSION} ${process.execPath} ${size} ${mtimeMs}`;
  } catch {
    return VERSION;
  }
})();

/**
 * Everything a plugin's answer for a host depends on besides the host itself, as one text: the seed of the keys
 * of what runs keep from one run to the next (an inventory's page answers, answer-cache.ts; an export's memos,
 * export-memo.ts). Syncer's build; the plugin's ident, module and manifest; the command; the options and the
 * account's address, username and custom fields (secret options as null: a changed password does not change
 * what a plugin makes of a host); the target and its rules and [targets] entry as written. Undefined when the
 * same inputs may give another answer: rules using a plugin's filter or test, or a template reading the clock
 * or chance (rules.written undefined), or a command handed a file, whose content is none of these.
 */
export function callInputs(plugin: Plugin, command: string, options: Record<string, ResolvedOption>, account: Account | undefined, rules: TargetRules): string | undefined {
  if (rules.written === undefined || plugin.manifest.commands[command]?.file_option !== undefined) return undefined;
  const secret = new Set(Object.entries(options).flatMap(([name, option]) => (option.secret ? [name] : [])));
  return JSON.stringify({
    syncer: BUILD,
    plugin: plugin.ident,
    module: moduleDigest(plugin.wasm()),
    manifest: plugin.manifest,
    command,
    options: Object.fromEntries(Object.entries(options).map(([name, option]) => [name, option.secret ? null : (option.value ?? null)])),
    account: account
      ? {
          name: account.name,
          address: account.config.address ?? "",
          username: account.config.username ?? "",
          custom_fields: Object.fromEntries(Object.entries(account.config.custom_fields ?? {}).filter(([name]) => !secret.has(name))),
        }
      : null,
    target: rules.name,
    rules: rules.written,
  });
}
