import { SyncerError } from "../core/errors.ts";
import type { ExistingHost, HostStaging, PageRecord } from "../db/hosts.ts";
import { deletedChanges, entryOf, planRecord, stagedOf, stateOf } from "../inventory/plan.ts";
import { RecordCollector } from "../inventory/records.ts";
import type { HostRecord } from "../plugins/abi.ts";
import { checkedRecords } from "../plugins/answers.ts";
import { deleteLimit } from "./delete-limit.ts";
import type { RunScope } from "./scope.ts";

/** A record of a page staged as sent, as the plan reads it: labels kept as their text too (a create stores it as it is). */
const recordOf = (record: PageRecord): HostRecord & { labelsText: string } => ({
  hostname: record.hostname,
  labels: JSON.parse(record.labels) as Record<string, string>,
  labelsText: record.labels,
  ...(record.inventory === null ? {} : { inventory: JSON.parse(record.inventory) as HostRecord["inventory"] }),
  ...(record.row === null ? {} : { row: record.row }),
});

/**
 * An import or inventorize run: pages from the plugin, each planned against the inventory as it arrives
 * and staged on disk (the hosts repository's staging: no page is held in memory); then deletions of
 * hosts not seen (when the account asks for them, within its delete_limit), pre_ hooks, and one short
 * transaction that writes what is staged. Until that transaction nothing is written, so a failure
 * anywhere leaves the database as it was. A dry run stops before it, with the diff in the report.
 */
export async function syncHosts(scope: RunScope): Promise<void> {
  const { setup, runtime, plugin, command, account, request, report } = scope;
  const kind = plugin.manifest.commands[command]!.kind as "import" | "inventorize";
  const config = setup.config;
  const collector = new RecordCollector(plugin.ident, config.inventory.lowercase_hostnames);
  const masters = new Set(Object.entries(config.accounts).filter(([, a]) => a.is_master).map(([name]) => name));
  const context = { kind, account: account!.name, masters };

  const lastSuccess = kind === "import" ? scope.lastSuccess() : null;
  const since = lastSuccess === null ? null : new Date(lastSuccess).toISOString();
  const fetchPage = (cursor: string | null) =>
    runtime.callUnparsed(plugin, command, {
      account,
      input: { page: cursor, page_size: config.inventory.page_size, ...(kind === "import" ? { last_success: since } : {}) },
      dryRun: request.dryRun,
      debug: request.debug,
      runId: report.id ?? undefined,
      answer: "host-page",
    });
  let cursor: string | null = null;
  // A page answered `partial` (a delta): the hosts the run did not see are not missing.
  let partial = false;
  let pending = fetchPage(cursor);
  const staging = scope.hosts.stage();
  try {
    for (let page = 0; ; page++) {
      const result = await pending;
      scope.addLogs(result.logs, result.droppedLogs);
      if (!result.ok) throw collector.checkFailure(result.error, page) ?? new SyncerError(result.error.kind, `${plugin.ident} ${command}, page ${page + 1}: ${result.error.message}`);
      // The sandbox checked the page and sent its cursor along: the plugin works on the next page while
      // this one is planned against the inventory and staged.
      const next = result.facts?.cursor;
      if (next === undefined) throw new SyncerError("internal", `${plugin.ident} ${command}, page ${page + 1}: the sandbox sent the page without checking it`);
      if (next !== null && next === cursor) throw new SyncerError("abi", `${plugin.ident} ${command} returned the cursor ${JSON.stringify(next)} twice in a row (page ${page + 1}); it would never finish`);
      if (next !== null) pending = fetchPage(next);
      if (result.facts?.partial) partial = true;
      // Trusted as the sandbox checked it. An import's page whose hostnames are kept as they are is
      // staged as the sandbox sent it, and the plan sees only what the stored hosts do not settle.
      const facts = result.facts?.records;
      const asSent = kind === "import" && facts?.trimmed === true && (facts.lowerCase || !config.inventory.lowercase_hostnames);
      const plan = (record: PageRecord, existing: ExistingHost | undefined) => stagedOf(planRecord(recordOf(record), existing, context), { page, index: record.index, ...(record.row === null ? {} : { row: record.row }) });
      const staged = asSent ? staging.addPage(page, result.output, context.account, plan, facts.inventory) : undefined;
      if (staged !== undefined) collector.counted(staged);
      else {
        const records = collector.records(checkedRecords(result.output));
        const existing = staging.existing(records.map((record) => record.hostname));
        const duplicate = staging.add(records.map((record, index) => stagedOf(planRecord(record, existing.get(record.hostname), context), { page, index, row: record.row })));
        if (duplicate) throw collector.duplicate(duplicate);
      }
      request.onProgress?.({ page: page + 1, records: collector.count });
      if (next === null) break;
      cursor = next;
    }

    if (kind === "import" && account!.config.delete_missing && partial) {
      scope.addDetail("info", `delete_missing is not applied: ${plugin.ident} ${command} read only what changed since the last successful run, so hosts it did not return are not missing`);
    } else if (kind === "import" && account!.config.delete_missing) {
      const { owned, missing } = staging.missing(account!.name);
      const limit = deleteLimit(account!.config.delete_limit, owned);
      if (missing > limit && !request.force) {
        throw new SyncerError(
          "delete_limit",
          `the run would delete ${missing} of the ${owned} hosts of account ${account!.name}, more than its delete_limit (${account!.config.delete_limit}); nothing was changed. Check the source, or run again with --force`,
        );
      }
      const reason = `not seen by ${plugin.ident} ${command} of account ${account!.name}`;
      staging.stageMissing(account!.name, reason, deletedChanges(reason));
    }

    const run = { id: report.id, plugin: plugin.ident, command, account: account!.name };
    await scope.hooks.before("host.pre_update", staging, run, report.details);
    await scope.hooks.before("host.pre_delete", staging, run, report.details);

    const counts = staging.counts();
    report.counts.created += counts.create;
    report.counts.updated += counts.update;
    report.counts.unchanged += counts.unchanged;
    report.counts.deleted += counts.delete;
    report.counts.skipped += counts.skipped;
    for (const skipped of staging.entries(["skipped"], config.inventory.page_size)) {
      for (const entry of skipped) if (entry.action === "skipped" && entry.owner) scope.addDetail("info", `${entry.hostname}: skipped, ${entry.reason}`);
    }
    if (request.dryRun) {
      report.diff = diffOf(staging, config.inventory.page_size);
      return;
    }

    staging.apply(report.id, Date.now(), config.inventory.change_log_limit);
    await scope.hooks.after(staging, run, report.details);
  } finally {
    staging.close();
  }
}

/** The diff a dry run shows (and --json gives): every change, old → new; unchanged hosts only counted. */
function diffOf(staging: HostStaging, pageSize: number) {
  const diff = {
    created: [] as { hostname: string; labels: Record<string, unknown>; inventory: Record<string, unknown> }[],
    updated: [] as { hostname: string; changes: Record<string, { old: unknown; new: unknown }> }[],
    skipped: [] as { hostname: string; reason: string }[],
    deleted: [] as { hostname: string; reason: string; labels: Record<string, unknown> }[],
  };
  for (const staged of staging.entries(["create", "update", "skipped", "delete"], pageSize)) {
    for (const entry of staged.map(entryOf)) {
      if (entry.action === "create") diff.created.push({ hostname: entry.hostname, ...entry.state });
      else if (entry.action === "update") diff.updated.push({ hostname: entry.hostname, changes: entry.changes });
      else if (entry.action === "skipped") diff.skipped.push({ hostname: entry.hostname, reason: entry.reason });
      else if (entry.action === "delete") diff.deleted.push({ hostname: entry.hostname, reason: entry.reason, labels: stateOf(entry.host).labels });
    }
  }
  return diff;
}
