import { Argument, type Command } from "commander";
import { SyncerError } from "../../core/errors.ts";
import * as v from "valibot";
import { LIFECYCLE_STATES, MANUAL_OWNER, type LifecycleState } from "../../core/hosts.ts";
import { InventoryFields, Labels } from "../../plugins/abi.ts";
import { ApiWrites } from "../../runs/api-writes.ts";
import { Hooks } from "../../runs/hooks.ts";
import { changeLifecycle } from "../../runs/lifecycle.ts";
import { commonOptions, configFor, positiveInteger, setupFor, withDatabase, withRuntime } from "../context.ts";
import { color, formatPairs, printJson, printLine, warnLine } from "../output.ts";
import { hostJson, iso } from "../../inventory/host-json.ts";
import { registerHostRemoval } from "./host-removal.ts";

/** `key=value` pairs from repeated --label options. */
function labelFilter(pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new SyncerError("usage", `--label ${JSON.stringify(pair)}: write key=value`);
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** `key=value` pairs of repeated --label or --inventory options, as an object (own keys, `__proto__` included, for the schema to refuse). */
function pairsOf(flag: string, pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new SyncerError("usage", `${flag} ${JSON.stringify(pair)}: write key=value`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The `labels` or `inventory` of `hosts set`, checked as the API checks them. */
function checkedPairs<S extends v.GenericSchema>(flag: string, schema: S, pairs: string[]): v.InferOutput<S> {
  const result = v.safeParse(schema, pairsOf(flag, pairs));
  if (result.success) return result.output;
  const [issue] = result.issues;
  throw new SyncerError("usage", `${flag}: ${v.getDotPath(issue) ?? ""}: ${issue.message}`);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `syncer hosts set`: a host written by hand, as `PUT /api/v1/hosts/{name}` writes it: without
 * --account the manual owner owns it (no import deletes it; only a master account takes it over).
 */
function registerHostsSet(group: Command): void {
  group
    .command("set")
    .description("create or update a host by hand: labels replaced as a whole, inventory in the writer's namespace")
    .argument("<hostname>")
    .option("--label <key=value>", "a label (repeatable); the host's labels become exactly these", collect, [] as string[])
    .option("--inventory <key=value>", "an inventory field (repeatable), stored as <owner>__<key>", collect, [] as string[])
    .option("--account <name>", `write as this account, as its import would (default: by hand, owner '${MANUAL_OWNER}')`)
    .option("--json", "print JSON: {outcome, host}")
    .action((hostname: string, options: { label: string[]; inventory: string[]; account?: string }, command: Command) => {
      const labels = checkedPairs("--label", Labels, options.label);
      const inventory = checkedPairs("--inventory", InventoryFields, options.inventory);
      const setup = setupFor(command);
      return withRuntime(setup, async (database, runtime) => {
        const writes = new ApiWrites(setup, database.hosts, new Hooks(setup, runtime));
        const summary = await writes.upsert(options.account, [{ hostname, labels, inventory: options.inventory.length > 0 ? inventory : undefined }]);
        const { hostname: written, outcome } = summary.outcomes[0]!;
        const host = database.hosts.get(written)!;
        if (commonOptions(command).json) return printJson({ outcome, host: hostJson(host) });
        printLine(`${written}: ${outcome} (owner ${host.account})`);
      });
    });
}

export function registerHosts(program: Command): void {
  const group = program.command("hosts").description("show the inventory");

  group
    .command("list")
    .description("list hosts, sorted by name (filters combine)")
    .option("--account <name>", "only hosts this account owns")
    .option("--label <key=value>", "only hosts with this label (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option("--search <text>", "only hosts whose name contains this")
    .option("--deleted", "deleted hosts instead of live ones")
    .option("--after <hostname>", "start after this host (paging)")
    .option("--limit <n>", "at most this many", "100")
    .option("--json", "print JSON: {hosts, next}")
    .action((options: { account?: string; label: string[]; search?: string; deleted?: boolean; after?: string; limit: string }, command: Command) => {
      const limit = positiveInteger("--limit", options.limit);
      return withDatabase(configFor(command), (database) => {
        const page = database.hosts.list({ account: options.account, labels: labelFilter(options.label), search: options.search, deleted: options.deleted, after: options.after, limit });
        if (commonOptions(command).json) return printJson({ hosts: page.hosts.map(hostJson), next: page.next });
        if (page.hosts.length === 0) return printLine(color.dim("no hosts"));
        const width = Math.max(...page.hosts.map((host) => host.hostname.length));
        for (const host of page.hosts) {
          const state = host.deletedAt ? color.red(" deleted") : host.lifecycle !== "active" ? color.yellow(` ${host.lifecycle}`) : "";
          printLine(`${host.hostname.padEnd(width)}  ${color.cyan(host.account ?? "-")}${state}  ${color.dim(formatPairs(host.labels))}`);
        }
        if (page.next) printLine(color.dim(`more: --after ${page.next}`));
      });
    });

  group
    .command("show")
    .description("one host: labels, inventory, ownership, times and its change log")
    .argument("<hostname>")
    .option("--json", "print JSON")
    .action((hostname: string, _options: unknown, command: Command) =>
      withDatabase(configFor(command), (database) => {
        const queries = database.hosts;
        const host = queries.get(hostname);
        if (!host) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
        const changes = queries.changes(host.id).map((change) => ({ run: change.runId, at: iso(change.at), changes: change.changes }));
        if (commonOptions(command).json) return printJson({ ...hostJson(host), changes });
        const json = hostJson(host);
        printLine(color.bold(host.hostname));
        for (const [key, value] of Object.entries(json)) {
          if (key === "hostname" || key === "labels" || key === "inventory" || value === null) continue;
          printLine(`  ${key.padEnd(14)} ${value}`);
        }
        printLine(`  labels`);
        for (const [key, value] of Object.entries(host.labels)) printLine(`    ${key} = ${value}`);
        printLine(`  inventory`);
        for (const [key, value] of Object.entries(host.inventory)) printLine(`    ${key} = ${JSON.stringify(value)}`);
        printLine(`  changes`);
        for (const change of changes) printLine(`    ${change.at}${change.run !== null ? ` run #${change.run}` : ""}  ${JSON.stringify(change.changes)}`);
      }),
    );

  group
    .command("lifecycle")
    .description("set a host's lifecycle state (only active hosts are exported); host.pre_lifecycle hooks may veto it")
    .argument("<hostname>")
    .addArgument(new Argument("<state>", "the new state").choices(LIFECYCLE_STATES))
    .action((hostname: string, state: LifecycleState, _options: unknown, command: Command) => {
      const setup = setupFor(command);
      return withRuntime(setup, async ({ hosts }, runtime) => {
        const outcome = await changeLifecycle(hosts, new Hooks(setup, runtime), hostname, state);
        for (const detail of outcome.details) if (detail.level === "warn" || detail.level === "error") warnLine(detail.message);
        printLine(outcome.changed ? `${hostname}: ${outcome.old} → ${state}` : `${hostname}: ${state} already`);
      });
    });

  registerHostsSet(group);
  registerHostRemoval(group);
}
