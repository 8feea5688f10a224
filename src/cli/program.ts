import { Command, CommanderError } from "commander";
import { asSyncerError, ReportedFailure, SyncerError } from "../core/errors.ts";
import { registerConfig } from "./commands/config.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerPlugins } from "./commands/plugins.ts";
import { registerPluginCommands, registerRun } from "./commands/run.ts";
import { registerHosts } from "./commands/hosts.ts";
import { registerAccounts } from "./commands/accounts.ts";
import { registerRuns } from "./commands/runs.ts";
import { registerEvents } from "./commands/events.ts";
import { registerJobs } from "./commands/jobs.ts";
import { registerRules } from "./commands/rules.ts";
import { loadConfig } from "../config/load.ts";
import { discoverPlugins, type Registry } from "../plugins/registry.ts";
import { registerServe } from "./commands/serve.ts";
import { registerToken } from "./commands/token.ts";
import { registerUsers } from "./commands/users.ts";
import { registerSystemdUnit } from "./commands/systemd-unit.ts";
import { registerBackup } from "./commands/backup.ts";
import { registerMaintenance } from "./commands/maintenance.ts";
import { registerVersion } from "./commands/version.ts";
import { registerCompletion } from "./commands/completion.ts";
import { EXIT, reportError } from "./output.ts";
import { firstWord } from "./short-form.ts";

const HELP_FOOTER = `
Config file: --config PATH, else $SYNCER_CONFIG, else ./sync.config.toml, else /etc/syncer/sync.config.toml.
Exit codes: 0 ok, 1 failure (invalid config, unreachable database, taken port, ...), 2 usage error.`;

/** Every command takes --config after its name too (`syncer config check --config x.toml`). */
function addConfigOption(commands: readonly Command[]): void {
  for (const command of commands) {
    if (command.commands.length > 0) addConfigOption(command.commands);
    else if (!["version", "new", "systemd-unit", "completion"].includes(command.name())) command.option("-c, --config <path>", "config file");
  }
}

/**
 * The plugins whose commands `syncer <plugin> <command>` offers: the built-in ones, plus those in the
 * config's plugin directories when the command line names something that is not a syncer command.
 */
function shortFormRegistry(argv: string[], known: Set<string>): Registry | undefined {
  const first = firstWord(argv.slice(2));
  // A syncer command needs no plugin commands (and start-up stays lean); `syncer` and `syncer --help` list the built-in ones.
  if (first !== undefined && known.has(first)) return undefined;
  if (first === undefined || first === "help") return discoverPlugins([]);
  try {
    const at = argv.findIndex((arg) => arg === "-c" || arg === "--config");
    const explicit = at >= 0 ? argv[at + 1] : argv.find((arg) => arg.startsWith("--config="))?.slice("--config=".length);
    const registry = discoverPlugins(loadConfig(explicit).paths.pluginDirectories);
    return registry.errors.length ? discoverPlugins([]) : registry;
  } catch {
    // The config is unusable: the built-in plugins still answer, and a command that needs the config says why.
    return discoverPlugins([]);
  }
}

export function buildProgram(argv: string[] = []): Command {
  const program = new Command("syncer")
    .description("Keeps an inventory of hosts in sync between CMDBs, monitoring and automation.")
    .option("-c, --config <path>", "config file (see below for where it is looked for)")
    .addHelpText("after", HELP_FOOTER)
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerVersion(program);
  registerServe(program);
  registerConfig(program);
  registerMigrate(program);
  registerPlugins(program);
  registerRun(program);
  registerHosts(program);
  registerAccounts(program);
  registerRuns(program);
  registerEvents(program);
  registerToken(program);
  registerUsers(program);
  registerJobs(program);
  registerRules(program);
  registerBackup(program);
  registerMaintenance(program);
  registerSystemdUnit(program);
  // Completes what `syncer --help` lists: the program as built without a command line (built-in plugins' commands too).
  registerCompletion(program, () => buildProgram());
  const registry = shortFormRegistry(argv, new Set(program.commands.map((command) => command.name())));
  if (registry) registerPluginCommands(program, registry);
  addConfigOption(program.commands);
  return program;
}

/** Runs the CLI and returns the exit code. The only place where errors become messages and exit codes. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not failures; everything else commander raises is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = asSyncerError(error);
    if (failure instanceof ReportedFailure) return EXIT.failure;
    reportError(failure, argv.includes("--json"));
    if (failure.kind === "internal" && process.env.SYNCER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return failure instanceof SyncerError && failure.kind === "usage" ? EXIT.usage : EXIT.failure;
  }
}
