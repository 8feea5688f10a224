import type { Command } from "commander";
import { ReportedFailure, SyncerError } from "../../core/errors.ts";
import { noAccount } from "../../plugins/options.ts";
import type { Plugin } from "../../plugins/plugin.ts";
import { refuseDisabled, refuseUnusableAccount } from "../../plugins/target.ts";
import { pluginDetail, pluginSummary } from "../../plugins/plugin-json.ts";
import { formatProblem } from "../../core/problems.ts";
import { loadSetup } from "../../plugins/setup.ts";
import { commonOptions, parseInputFlag, registryFor, setupFor, withRuntime } from "../context.ts";
import { color, printJson, printLine, warnLine } from "../output.ts";

/** `syncer plugins info` in the manner of ansible-doc: everything an operator needs to configure and trust a plugin. */
function printInfo(plugin: Plugin): void {
  const { manifest } = plugin;
  printLine(`${color.bold(`${manifest.name} (${plugin.ident})`)} ${manifest.version}${manifest.enabled ? "" : color.yellow(" [disabled]")}`);
  printLine(`  ${manifest.description}`);
  printLine(`  author: ${manifest.author || "-"}; from: ${plugin.location}; ABI v${manifest.api_version}`);
  const section = (title: string, rows: string[]) => {
    printLine();
    printLine(color.bold(title));
    for (const row of rows.length ? rows : ["  (none)"]) printLine(row);
  };
  section(
    "COMMANDS",
    Object.entries(manifest.commands).map(
      ([name, command]) =>
        `  ${name.padEnd(20)} ${command.kind.padEnd(11)} account ${command.account.padEnd(8)} ${command.schedulable ? "schedulable" : "manual only"}\n  ${"".padEnd(20)} ${command.description}`,
    ),
  );
  section(
    "OPTIONS (account custom field > SYNCER_<IDENT>_<OPTION> > [plugins.<ident>] > default)",
    Object.entries(manifest.options).map(([name, option]) => {
      const facts = [option.type, option.required ? "required" : "optional"];
      if (option.default !== undefined) facts.push(`default ${option.secret ? "<redacted>" : JSON.stringify(option.default)}`);
      if (option.choices) facts.push(`choices ${option.choices.join("|")}`);
      if (option.secret) facts.push("secret");
      return `  ${name.padEnd(20)} ${facts.join(", ")}\n  ${"".padEnd(20)} ${option.description}`;
    }),
  );
  const permissions = manifest.permissions;
  section("PERMISSIONS", [
    ...(permissions.http ? [`  http      account address host${permissions.http.hosts.length ? `, ${permissions.http.hosts.join(", ")}` : ""}: ${permissions.http.reason}`] : []),
    ...(permissions.hosts ? [`  hosts     ${permissions.hosts.access}: ${permissions.hosts.reason}`] : []),
    ...(permissions.kv ? [`  kv        ${permissions.kv.reason}`] : []),
    ...(permissions.events ? [`  events    ${permissions.events.reason}`] : []),
  ]);
  if (manifest.hooks.length) section("HOOKS", manifest.hooks.map((hook) => `  ${hook.event} → ${hook.export} (priority ${hook.priority})`));
  if (manifest.endpoints.length) section("ENDPOINTS", manifest.endpoints.map((e) => `  ${e.method} /api/v1/plugins/${plugin.ident}${e.path} → ${e.export}`));
  if (manifest.outcomes) section("OUTCOMES (what rules may set for its targets)", [`  ${manifest.outcomes.join(", ")}`]);
  const filters = Object.entries(manifest.filters);
  if (filters.length) {
    section(
      "TEMPLATE FILTERS (in rules: {{ value | <name>: arguments }})",
      filters.map(([name, filter]) => {
        const args = filter.arguments.map((argument) => (argument.optional ? `[${argument.name}]` : argument.name)).join(", ");
        return `  ${`${plugin.ident}_${name}`}${args ? `: ${args}` : ""}\n      ${filter.description}`;
      }),
    );
  }
  const tests = Object.entries(manifest.tests);
  if (tests.length) {
    section(
      "CONDITION TESTS (in rules: match = <name>)",
      tests.map(([name, test]) => `  ${`${plugin.ident}_${name}`}  value ${test.value}\n      ${test.description}`),
    );
  }
  const presets = Object.entries(manifest.account_custom_field_presets);
  if (presets.length) section("ACCOUNT CUSTOM FIELD PRESETS", presets.map(([key, value]) => `  ${key} = ${JSON.stringify(value)}`));
}

export function registerPlugins(program: Command): void {
  const group = program.command("plugins").description("list, inspect and call plugins");

  group
    .command("list")
    .description("list every plugin: built in, and from [plugins] directories; refused ones with the reason")
    .option("--json", "print JSON")
    .action((_options, command: Command) => {
      const registry = registryFor(command);
      const plugins = [...registry.plugins.values()].map(pluginSummary);
      if (commonOptions(command).json) return printJson({ plugins, refused: registry.refused });
      for (const plugin of plugins) {
        const state = plugin.enabled ? color.green("enabled ") : color.yellow("disabled");
        printLine(`${plugin.ident.padEnd(16)} ${plugin.version.padEnd(9)} ${state} ${plugin.origin.padEnd(9)} ${plugin.description}`);
      }
      for (const problem of registry.refused) warnLine(`refused: ${formatProblem(problem)}`);
      if (plugins.length === 0) printLine("no plugins");
    });

  group
    .command("info")
    .description("describe a plugin: commands, options with types and defaults, permissions with reasons")
    .argument("<ident>", "the plugin")
    .option("--json", "print the manifest as JSON")
    .action((ident: string, _options, command: Command) => {
      const registry = registryFor(command);
      const plugin = registry.plugins.get(ident);
      if (!plugin) throw new SyncerError("usage", `no plugin '${ident}'; \`syncer plugins list\` shows the installed ones`);
      if (commonOptions(command).json) return printJson(pluginDetail(plugin));
      printInfo(plugin);
    });

  group
    .command("new")
    .description("create a plugin folder to start from: manifest, AssemblyScript source, the SDK, a README and passing tests")
    .argument("<ident>", "the new plugin's ident")
    .option("--kind <kind>", "what it does: import (hosts from an API), export (hosts to an API), hook (rewrites an import's changes), endpoint (answers API requests)", "import")
    .option("--dir <path>", "where to create it", ".")
    .action(async (ident: string, options: { dir: string; kind: string }) => {
      const { scaffoldPlugin } = await import("../../plugins/author/scaffold.ts");
      const dir = scaffoldPlugin(ident, options.dir, options.kind);
      printLine(`${color.green("created")} ${dir}`);
      printLine(`next: cd ${dir} && npm install && npm test`);
    });

  group
    .command("test")
    .description("run a plugin's recorded fixtures (test/fixtures/*.json) with the checks of a real run, against a throwaway database")
    .argument("[dir]", "the plugin's folder", ".")
    .option("--only <name>", "only the fixture <name>.json")
    .option("--update", "write what the plugin answered into each fixture's expect")
    .option("--record-from <url>", "send the plugin's HTTP to this real upstream and write what was exchanged into the fixture (with --update)")
    .option("--json", "print the report as JSON")
    .action(async (dir: string, options: { only?: string; update?: boolean; recordFrom?: string }, command: Command) => {
      if (options.recordFrom && !options.update) throw new SyncerError("usage", "--record-from writes the fixture: give --update too");
      const { testPlugin } = await import("../../plugins/author/fixture-run.ts");
      const report = await testPlugin(dir, options, (configPath, use) => {
        const setup = loadSetup(configPath, {});
        return withRuntime(setup, (storage, runtime) => use(setup, storage, runtime), { create: true });
      });
      const failures = report.fixtures.filter((fixture) => !fixture.ok);
      if (commonOptions(command).json) printJson(report);
      else {
        for (const fixture of report.fixtures) {
          printLine(`${fixture.ok ? color.green("pass") : color.red("FAIL")} ${fixture.name}${fixture.description ? `: ${fixture.description}` : ""}`);
          for (const problem of fixture.problems) printLine(`     ${problem}`);
        }
        printLine(`${report.fixtures.length - failures.length} of ${report.fixtures.length} fixtures of ${report.plugin} pass${options.update ? " (fixtures updated)" : ""}`);
      }
      if (failures.length > 0 && !options.update) throw new ReportedFailure("validation", `${failures.length} of ${report.fixtures.length} fixtures of ${report.plugin} fail`);
    });

  group
    .command("call")
    .description("call a plugin command or export once and print its JSON answer (for plugin authors and debugging)")
    .argument("<ident>", "the plugin")
    .argument("<command>", "a command from its manifest, or any export")
    .argument("[account]", "the account to call it for")
    .option("--input <json>", "the command's input, as JSON (default: null; for import and inventorize, the first page's {page: null, page_size})")
    .option("--dry-run", "the plugin's non-GET HTTP requests are answered with a fake 200")
    .option("--debug", "log the plugin's HTTP requests (secrets redacted)")
    .option("--json", "print the whole result (value, logs, timing) as JSON")
    .action(async (ident: string, name: string, accountName: string | undefined, options: { input?: string; dryRun?: boolean; debug?: boolean }, command: Command) => {
      const setup = setupFor(command);
      const plugin = setup.registry.plugins.get(ident);
      if (!plugin) throw new SyncerError("usage", `no plugin '${ident}'; \`syncer plugins list\` shows the installed ones`);
      refuseDisabled(plugin);
      const account = accountName === undefined ? undefined : setup.accounts.get(accountName);
      if (accountName !== undefined && !account) throw noAccount(accountName, [...setup.accounts.keys()]);
      if (account) refuseUnusableAccount(account, plugin);
      // An import or inventorize command answers pages: its answer is checked as a run checks each page.
      const kind = plugin.manifest.commands[name]?.kind;
      const pages = kind === "import" || kind === "inventorize";
      const firstPage = { page: null, page_size: setup.config.inventory.page_size };
      const input = options.input !== undefined ? parseInputFlag(options.input) : pages ? firstPage : null;
      const result = await withRuntime(
        setup,
        (_database, runtime) =>
          runtime.call(plugin, name, {
            account,
            pluginOptions: setup.pluginOptions.get(plugin.ident),
            input,
            dryRun: options.dryRun,
            debug: options.debug,
            answer: pages ? "host-page" : undefined,
          }),
        // It runs a plugin command, as `syncer run` does: a plugin author's first call may start the database.
        { create: true },
      );
      const json = commonOptions(command).json;
      if (json) {
        printJson(result);
      } else {
        for (const line of result.logs) process.stderr.write(`${line.level.padEnd(5)} ${line.message}\n`);
        if (result.ok) printLine(JSON.stringify(result.value, null, 2));
      }
      if (!result.ok) {
        const message = `plugin ${ident}: ${name} failed (${result.error.kind}): ${result.error.message}`;
        // With --json the result above already carries the error.
        throw json ? new ReportedFailure(result.error.kind, message) : new SyncerError(result.error.kind, message);
      }
    });
}
