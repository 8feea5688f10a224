/**
 * What the command line names before the CLI is loaded: a plugin's command (`syncer <plugin> <command>`,
 * `syncer run <plugin> <command>`) or another of syncer's own commands. main.ts asks, to start a sandbox process early for
 * a plugin's command (plugins/sandbox/early.ts); program.ts asks, to load the plugins only when needed.
 */

/** Syncer's own commands, as program.ts registers them (test/cli/short-form.test.ts holds the two together). */
export const BUILTIN_COMMANDS: ReadonlySet<string> = new Set([
  "version",
  "serve",
  "config",
  "migrate",
  "plugins",
  "run",
  "hosts",
  "accounts",
  "runs",
  "events",
  "token",
  "users",
  "jobs",
  "rules",
  "backup",
  "maintenance",
  "systemd-unit",
  "completion",
]);

/** The words of the command line (`args`: without the program), options and --config's value left out. */
function words(args: readonly string[]): string[] {
  return args.filter((arg, index) => !arg.startsWith("-") && !["-c", "--config"].includes(args[index - 1] ?? ""));
}

/** The first word of the command line: the command, or a plugin's ident in the short form. */
export function firstWord(args: readonly string[]): string | undefined {
  return words(args)[0];
}

/**
 * The plugin whose command a command line runs: `csv` in the short form `csv import_hosts demo` and in
 * `run csv import_hosts demo`; undefined for anything else.
 */
export function commandPlugin(args: readonly string[]): string | undefined {
  if (args.includes("--help") || args.includes("-h")) return undefined;
  const [first, second, third] = words(args);
  if (first === "run") return third === undefined ? undefined : second;
  if (first === undefined || second === undefined || first === "help" || BUILTIN_COMMANDS.has(first)) return undefined;
  return first;
}
