import type { Command } from "commander";
import { ReportedFailure, SyncerError } from "../../core/errors.ts";
import type { Registry } from "../../plugins/registry.ts";
import type { RunReport, RunRequest } from "../../runs/scope.ts";
import { COUNT_NAMES } from "../../runs/run-log.ts";
import { commonOptions, parseInputFlag, setupFor, withRuntime } from "../context.ts";
import { color, formatPairs, printJson, printLine, warnLine, writePieces } from "../output.ts";

interface RunFlags {
  dryRun?: boolean;
  debug?: boolean;
  force?: boolean;
  input?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A progress line on stderr while pages come in, only when a person watches (a TTY), erased at the end. */
function progressLine(): { update: RunRequest["onProgress"]; clear(): void } {
  if (!process.stderr.isTTY) return { update: undefined, clear() {} };
  let shown = false;
  return {
    update: ({ page, records }) => {
      shown = true;
      process.stderr.write(`\r\x1b[2K  page ${page} · ${records.toLocaleString("en")} hosts`);
    },
    clear: () => {
      if (shown) process.stderr.write("\r\x1b[2K");
    },
  };
}

/** A change of a map field: `site: berlin → hamburg, +rack=r1, -old=x`. */
function formatChange(field: string, change: { old: unknown; new: unknown }): string {
  if (field !== "labels" && field !== "inventory") return `${field}: ${change.old ?? "none"} → ${change.new ?? "none"}`;
  const old = change.old as Record<string, unknown>;
  const next = change.new as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of new Set([...Object.keys(old), ...Object.keys(next)])) {
    if (!(key in old)) parts.push(`+${key}=${String(next[key])}`);
    else if (!(key in next)) parts.push(`-${key}=${String(old[key])}`);
    else parts.push(`${key}: ${String(old[key])} → ${String(next[key])}`);
  }
  return `${field} ${parts.join(", ")}`;
}

interface Diff {
  created: { hostname: string; labels: Record<string, unknown> }[];
  updated: { hostname: string; changes: Record<string, { old: unknown; new: unknown }> }[];
  skipped: { hostname: string; reason: string }[];
  deleted: { hostname: string; reason: string }[];
}

function printDiff(diff: Diff, unchanged: number): void {
  for (const host of diff.created) printLine(`${color.green("+")} ${host.hostname}  ${color.dim(formatPairs(host.labels))}`);
  for (const host of diff.updated) {
    printLine(`${color.yellow("~")} ${host.hostname}  ${Object.entries(host.changes).map(([field, change]) => formatChange(field, change)).join("; ")}`);
  }
  for (const host of diff.deleted) printLine(`${color.red("-")} ${host.hostname}  ${color.dim(host.reason)}`);
  for (const host of diff.skipped) printLine(`${color.dim("!")} ${host.hostname}  ${color.dim(`skipped: ${host.reason}`)}`);
  if (unchanged > 0) printLine(color.dim(`= ${unchanged} unchanged`));
}

function summary(report: RunReport): string {
  const counts = COUNT_NAMES.filter((name) => name !== "failed" || report.counts.failed > 0)
    .map((name) => `${report.counts[name]} ${name}`)
    .join(", ");
  const target = `${report.plugin} ${report.command}${report.account ? ` ${report.account}` : ""}`;
  const where = report.id !== null ? `run #${report.id}, ` : "";
  return `${target}${report.dryRun ? " (dry run, nothing written)" : ""}: ${counts} (${where}${seconds(report.durationMs)})`;
}

/** JSON for machines: the counts as top-level fields, plus what the run produced. */
function reportJson(report: RunReport) {
  return {
    ok: report.status === "ok",
    run: report.id,
    plugin: report.plugin,
    command: report.command,
    kind: report.kind,
    account: report.account,
    status: report.status,
    dry_run: report.dryRun,
    ...report.counts,
    duration_ms: Math.round(report.durationMs),
    ...(report.error ? { error: report.error } : {}),
    ...(report.diff !== undefined ? { diff: report.diff } : {}),
    ...(report.wouldSend !== undefined ? { would_send: report.wouldSend } : {}),
    ...(report.value !== undefined ? { value: report.value } : {}),
    details: report.details,
  };
}

/** Shows a finished run: its details on stderr, then the diff, what would be sent or the answer, and the summary. */
function printReport(report: RunReport, debug: boolean): void {
  for (const detail of report.details) {
    if (detail.level === "debug" && !debug) continue;
    process.stderr.write(`${detail.level.padEnd(5)} ${detail.message}\n`);
  }
  if (report.diff) printDiff(report.diff as Diff, report.counts.unchanged);
  if (report.wouldSend) for (const host of report.wouldSend as { hostname: string; labels: Record<string, unknown> }[]) printLine(`${color.cyan(">")} ${host.hostname}  ${color.dim(formatPairs(host.labels))}`);
  if (report.value !== undefined) printLine(JSON.stringify(report.value, null, 2));
  if (report.status === "ok") printLine(`${color.green("✓")} ${summary(report)}`);
}

/** Runs one plugin command as a sync run and shows the outcome; a failed run exits 1. */
export async function runFromCli(command: Command, target: { plugin: string; command: string; account?: string }, flags: RunFlags): Promise<void> {
  const setup = setupFor(command);
  const json = commonOptions(command).json ?? false;
  const input = flags.input === undefined ? undefined : parseInputFlag(flags.input);
  const { Runner } = await import("../../runs/runner.ts");
  const report = await withRuntime(setup, async (database, runtime, log) => {
    const progress = json ? { update: undefined, clear() {} } : progressLine();
    try {
      return await new Runner(setup, runtime, database, log).run({ ...target, dryRun: flags.dryRun, debug: flags.debug, force: flags.force, input, trigger: "cli", onProgress: progress.update });
    } finally {
      progress.clear();
    }
  }, { create: true });
  if (json) printJson(reportJson(report));
  else printReport(report, flags.debug ?? false);
  if (report.status === "failed") {
    const message = `${report.plugin} ${report.command} failed${report.id !== null ? ` (run #${report.id})` : ""}: ${report.error!.message}`;
    throw json ? new ReportedFailure(report.error!.kind as never, message) : new SyncerError(report.error!.kind as never, message);
  }
}

function withRunFlags(command: Command): Command {
  return command
    .option("--dry-run", "compute and print the full diff; write nothing (the plugin's non-GET HTTP is not sent)")
    .option("--debug", "show the plugin's debug log and HTTP requests (secrets redacted)")
    .option("--force", "go past the account's delete_limit")
    .option("--input <json>", "input of an action command, as JSON")
    .option("--json", "print the run as JSON (counts as fields created, updated, unchanged, skipped, deleted)");
}

export function registerRun(program: Command): void {
  withRunFlags(
    program
      .command("run")
      .description("run a plugin command: import, inventorize, export or action (short form: syncer <plugin> <command> [account])")
      .argument("<plugin>", "the plugin's ident")
      .argument("<command>", "one of its commands, e.g. import_hosts")
      .argument("[account]", "the account to run it for"),
  ).action((plugin: string, name: string, account: string | undefined, flags: RunFlags, command: Command) => runFromCli(command, { plugin, command: name, account }, flags));
}

/**
 * The seed's short form, `syncer <plugin> <command> [account]`: one command group per plugin, listing its
 * commands in `syncer --help` and `syncer <plugin> --help`. Plugins whose ident is a syncer command are
 * reachable through `syncer run` only.
 */
export function registerPluginCommands(program: Command, registry: Registry): void {
  const taken = new Set(program.commands.map((command) => command.name()));
  for (const plugin of registry.plugins.values()) {
    if (taken.has(plugin.ident) || !plugin.manifest.enabled) continue;
    const group = program.command(plugin.ident).description(`${plugin.manifest.name}: ${plugin.manifest.description}`);
    for (const [name, spec] of Object.entries(plugin.manifest.commands)) {
      const sub = group.command(name).description(`${spec.kind}: ${spec.description}`);
      if (spec.account !== "none") sub.argument(spec.account === "required" ? "<account>" : "[account]", `the ${plugin.ident} account to run it for`);
      withRunFlags(sub).action((...args: unknown[]) => {
        const command = args[args.length - 1] as Command;
        const flags = args[args.length - 2] as RunFlags;
        const account = spec.account === "none" ? undefined : (args[0] as string | undefined);
        return runFromCli(command, { plugin: plugin.ident, command: name, account }, flags);
      });
    }
    if (plugin.manifest.inventory.length > 0 && !(INVENTORY_COMMAND in plugin.manifest.commands)) {
      group
        .command(INVENTORY_COMMAND)
        .description(`print the inventory as ${plugin.manifest.inventory.map((entry) => entry.format).join(" or ")} (a dynamic-inventory script: --list, --host NAME)`)
        .argument("[account]", "an account whose options to use (default: the plugin's options)")
        .option("--list", "every exported host (the default)")
        .option("--host <name>", "one host's variables")
        .option("--format <format>", "which format, when the plugin renders several")
        .action((account: string | undefined, flags: { host?: string; format?: string }, command: Command) => inventoryFromCli(command, plugin.ident, account, flags));
    }
  }
}

const INVENTORY_COMMAND = "inventory";

/** `syncer <plugin> inventory`: the rendered inventory on stdout, compact unless a person is reading. */
async function inventoryFromCli(command: Command, ident: string, accountName: string | undefined, flags: { host?: string; format?: string }): Promise<void> {
  const setup = setupFor(command);
  const { inventoryTarget, renderInventory } = await import("../../runs/inventory.ts");
  const { parseHostKeyed } = await import("../../plugins/host-keyed.ts");
  const { plugin, account } = inventoryTarget(setup, ident, accountName);
  await withRuntime(setup, async (database, runtime) => {
    const inventory = await renderInventory(setup, runtime, database, { plugin, format: flags.format, account, host: flags.host });
    try {
      if (process.stdout.isTTY) process.stdout.write(`${JSON.stringify(parseHostKeyed(inventory.value), null, 2)}\n`);
      else await writePieces(withNewline(inventory.chunks({ reuse: true })));
    } finally {
      inventory.close();
    }
    for (const warning of inventory.warnings) warnLine(warning);
  });
}

function* withNewline(chunks: Iterable<Uint8Array>): Generator<Uint8Array | string> {
  yield* chunks;
  yield "\n";
}
