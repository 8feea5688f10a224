import { SyncerError } from "../core/errors.ts";
import { planRecord, stateOf, unchangedReimport, writesOf, type PlanEntry } from "../inventory/plan.ts";
import { RecordCollector } from "../inventory/records.ts";
import type { HostRecord } from "../plugins/abi.ts";
import { checkedRecords } from "../plugins/answers.ts";
import type { RunScope } from "./scope.ts";

/** A share such as "10%" or a count, against the number of hosts an account owns. */
function deleteLimit(limit: number | string, owned: number): number {
  return typeof limit === "number" ? limit : Math.floor((owned * Number.parseFloat(limit)) / 100);
}

/**
 * An import or inventorize run: pages from the plugin, each checked and planned against the
 * inventory; then deletions of hosts not seen (when the account asks for them, within its
 * delete_limit), pre_ hooks, and one transaction with every write. Until that transaction nothing
 * is written, so a failure anywhere leaves the database as it was. A dry run stops before it.
 */
export async function syncHosts(scope: RunScope): Promise<PlanEntry[]> {
  const { setup, runtime, plugin, command, account, request, report } = scope;
  const kind = plugin.manifest.commands[command]!.kind as "import" | "inventorize";
  const config = setup.config;
  const store = scope.hosts;
  const collector = new RecordCollector(plugin.ident, config.inventory.lowercase_hostnames);
  const masters = new Set(Object.entries(config.accounts).filter(([, a]) => a.is_master).map(([name]) => name));
  const context = { kind, account: account!.name, masters };

  const fetchPage = (cursor: string | null) =>
    runtime.callUnparsed(plugin, command, {
      account,
      input: { page: cursor, page_size: config.inventory.page_size },
      dryRun: request.dryRun,
      debug: request.debug,
      runId: report.id ?? undefined,
      answer: "host-page",
    });
  let plan: PlanEntry[] = [];
  let cursor: string | null = null;
  let pending = fetchPage(cursor);
  // Done while the plugin starts and reads its first page: an account that owns more than a page of
  // hosts mostly sees them again, and one query for all of them beats a lookup per page.
  const owned = kind === "import" && store.ownedCount(account!.name) > config.inventory.page_size ? store.ownedLabels(account!.name) : undefined;
  for (let page = 0; ; page++) {
    const result = await pending;
    scope.addLogs(result.logs, result.droppedLogs);
    if (!result.ok) throw collector.checkFailure(result.error, page) ?? new SyncerError(result.error.kind, `${plugin.ident} ${command}, page ${page + 1}: ${result.error.message}`);
    // The sandbox checked the page and sent its cursor along: the plugin works on the next page while
    // this one is parsed and planned against the inventory.
    const next = result.facts?.cursor;
    if (next === undefined) throw new SyncerError("internal", `${plugin.ident} ${command}, page ${page + 1}: the sandbox sent the page without checking it`);
    if (next !== null && next === cursor) throw new SyncerError("abi", `${plugin.ident} ${command} returned the cursor ${JSON.stringify(next)} twice in a row (page ${page + 1}); it would never finish`);
    if (next !== null) pending = fetchPage(next);
    // Trusted as the sandbox checked it: taken apart, not parsed again.
    const unsettled: HostRecord[] = [];
    for (const record of collector.records(checkedRecords(result.output), page)) {
      const stored = owned?.get(record.hostname);
      if (stored && unchangedReimport(record, stored[2])) plan.push({ action: "unchanged", hostname: record.hostname, hostId: stored[1] });
      else unsettled.push(record);
    }
    const existing = store.existing(unsettled.map((record) => record.hostname));
    for (const record of unsettled) plan.push(planRecord(record, existing.get(record.hostname), context));
    request.onProgress?.({ page: page + 1, records: collector.count });
    if (next === null) break;
    cursor = next;
  }

  if (kind === "import" && account!.config.delete_missing) {
    const seen = new Set(collector.hostnames());
    const owned = store.ownedBy(account!.name);
    const missing = owned.filter((host) => !seen.has(host.hostname));
    const limit = deleteLimit(account!.config.delete_limit, owned.length);
    if (missing.length > limit && !request.force) {
      throw new SyncerError(
        "delete_limit",
        `the run would delete ${missing.length} of the ${owned.length} hosts of account ${account!.name}, more than its delete_limit (${account!.config.delete_limit}); nothing was changed. Check the source, or run again with --force`,
      );
    }
    const reason = `not seen by ${plugin.ident} ${command} of account ${account!.name}`;
    for (const host of missing) plan.push({ action: "delete", hostname: host.hostname, host, reason });
  }

  const run = { id: report.id, plugin: plugin.ident, command, account: account!.name };
  plan = await scope.hooks.before("host.pre_update", plan, run, report.details);
  plan = await scope.hooks.before("host.pre_delete", plan, run, report.details);

  for (const entry of plan) {
    if (entry.action === "create") report.counts.created++;
    else if (entry.action === "update") report.counts.updated++;
    else if (entry.action === "unchanged") report.counts.unchanged++;
    else if (entry.action === "delete") report.counts.deleted++;
    else {
      report.counts.skipped++;
      if (entry.owner) scope.addDetail("info", `${entry.hostname}: skipped, ${entry.reason}`);
    }
  }
  if (request.dryRun) return plan;

  store.write(writesOf(plan), report.id, Date.now(), config.inventory.change_log_limit);
  await scope.hooks.after(plan, run, report.details);
  return plan;
}

/** The diff a dry run shows (and --json gives): every change, old → new; unchanged hosts only counted. */
export function diffOf(plan: PlanEntry[]) {
  const diff = {
    created: [] as { hostname: string; labels: Record<string, unknown>; inventory: Record<string, unknown> }[],
    updated: [] as { hostname: string; changes: Record<string, { old: unknown; new: unknown }> }[],
    skipped: [] as { hostname: string; reason: string }[],
    deleted: [] as { hostname: string; reason: string; labels: Record<string, unknown> }[],
  };
  for (const entry of plan) {
    if (entry.action === "create") diff.created.push({ hostname: entry.hostname, ...entry.state });
    else if (entry.action === "update") diff.updated.push({ hostname: entry.hostname, changes: entry.changes });
    else if (entry.action === "skipped") diff.skipped.push({ hostname: entry.hostname, reason: entry.reason });
    else if (entry.action === "delete") diff.deleted.push({ hostname: entry.hostname, reason: entry.reason, labels: stateOf(entry.host).labels });
  }
  return diff;
}
