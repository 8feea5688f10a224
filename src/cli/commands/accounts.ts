import type { Command } from "commander";
import { SyncerError } from "../../core/errors.ts";
import type { HTTP_ACCOUNT_FIELDS } from "../../plugins/options.ts";
import type { Plugin } from "../../plugins/plugin.ts";
import { discoverPlugins } from "../../plugins/registry.ts";
import { commonOptions, configFor, setupFor } from "../context.ts";
import { color, printJson, printLine } from "../output.ts";

const toml = (value: unknown) => JSON.stringify(value);

/**
 * A ready [accounts.<name>] block for a plugin, with only what the plugin uses: the account fields its
 * account_presets name (a password as a reference), the ownership settings when it imports hosts, and its
 * options as custom fields (presets set, the rest documented), plus the HTTP fields syncer reads when it talks HTTP.
 */
export function accountBlock(plugin: Plugin, name: string): string {
  const { manifest } = plugin;
  const presets = manifest.account_presets;
  const lines = [`[accounts.${name}]`, `plugin = ${toml(plugin.ident)}`];
  if (presets.address !== undefined) lines.push(`address = ${toml(presets.address)}`);
  if (presets.username !== undefined) lines.push(`username = ${toml(presets.username)}`);
  if (presets.password !== undefined) lines.push(`password = "\${env:${name.toUpperCase().replace(/-/g, "_")}_PASSWORD}"   # a reference, never the secret itself`);
  // Only imports make an account own hosts: the rest of these would mean nothing for other plugins.
  if (Object.values(manifest.commands).some((command) => command.kind === "import")) {
    lines.push(
      `# is_master = false        # true: other accounts' imports never take over its hosts`,
      `# delete_missing = false   # true: delete its hosts an import no longer returns`,
      `# delete_limit = "10%"      # ...but never more than this without --force`,
    );
  }
  const fields: string[] = [];
  const fieldPresets = manifest.account_custom_field_presets;
  for (const [key, value] of Object.entries(fieldPresets)) fields.push(`${key} = ${toml(value)}`);
  for (const [option, spec] of Object.entries(manifest.options)) {
    if (option in fieldPresets) continue;
    const value = spec.default !== undefined ? toml(spec.default) : spec.type === "list" ? "[]" : '""';
    fields.push(`${spec.required && spec.default === undefined ? "" : "# "}${option} = ${value}   # ${spec.type}: ${spec.description}`);
  }
  if (manifest.permissions.http) {
    for (const [field, line] of Object.entries(HTTP_FIELD_LINES)) if (!(field in fieldPresets) && !(field in manifest.options)) fields.push(line);
  }
  if (fields.length > 0) lines.push(`[accounts.${name}.custom_fields]`, ...fields);
  return lines.join("\n");
}

/** The custom fields syncer itself reads for a plugin that talks HTTP (HTTP_ACCOUNT_FIELDS), documented. */
const HTTP_FIELD_LINES: Record<(typeof HTTP_ACCOUNT_FIELDS)[number], string> = {
  timeout: "# timeout = 30   # int: seconds per HTTP attempt",
  verify_cert: "# verify_cert = true   # bool: verify the server's TLS certificate",
};

export function registerAccounts(program: Command): void {
  const group = program.command("accounts").description("the systems syncer talks to ([accounts] in the config)");

  group
    .command("list")
    .description("the accounts of the config, with their plugin and flags (secrets never shown)")
    .option("--json", "print JSON")
    .action((_options: unknown, command: Command) => {
      const setup = setupFor(command);
      const accounts = [...setup.accounts.values()].map((account) => ({
        name: account.name,
        plugin: account.plugin.ident,
        address: account.config.address ?? null,
        enabled: account.config.enabled,
        is_master: account.config.is_master,
        parent: account.config.parent ?? null,
        delete_missing: account.config.delete_missing,
      }));
      if (commonOptions(command).json) return printJson({ accounts });
      if (accounts.length === 0) return printLine(color.dim("no accounts; add one with `syncer accounts new <plugin> <name>`"));
      for (const account of accounts) {
        const flags = [account.enabled ? "" : "disabled", account.is_master ? "master" : "", account.delete_missing ? "delete_missing" : ""].filter(Boolean).join(", ");
        printLine(`${account.name.padEnd(20)} ${color.cyan(account.plugin.padEnd(10))} ${account.address ?? ""}${flags ? color.dim(`  (${flags})`) : ""}`);
      }
    });

  group
    .command("new")
    .description("print a ready [accounts.<name>] block for a plugin, seeded from its presets; paste it into the config")
    .argument("<plugin>", "the plugin's ident")
    .argument("<name>", "the new account's name")
    .action((ident: string, name: string, _options: unknown, command: Command) => {
      let directories: string[] = [];
      try {
        directories = configFor(command).paths.pluginDirectories;
      } catch {
        // Without a usable config, the built-in plugins are still known.
      }
      const plugin = discoverPlugins(directories).plugins.get(ident);
      if (!plugin) throw new SyncerError("not_found", `no plugin '${ident}'; \`syncer plugins list\` shows the installed ones`);
      if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(name)) throw new SyncerError("usage", `account name ${JSON.stringify(name)}: use lower-case letters, digits, '_' and '-'`);
      printLine(accountBlock(plugin, name));
    });
}
