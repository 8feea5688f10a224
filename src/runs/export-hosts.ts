import * as v from "valibot";
import { ExportResultSchema } from "../plugins/abi.ts";
import { RawJson } from "../plugins/raw-json.ts";
import type { EligibleReader } from "../db/hosts.ts";
import type { RunScope } from "./scope.ts";
import { functionCaller } from "../plugins/functions.ts";
import { pageForTarget } from "./target-page.ts";

/**
 * An export run: the eligible hosts (active, not deleted) in pages of [inventory] page_size, each page
 * one plugin call answering per-host results, which are counted into the run. A page whose call fails
 * is logged, its hosts counted as failed, and the export goes on. A dry run tells the plugin (its
 * non-GET HTTP is not sent) and keeps what would have been sent.
 */
export async function exportHosts(scope: RunScope): Promise<void> {
  const reader = scope.hosts.eligibleReader();
  try {
    await exportPages(scope, reader);
  } finally {
    reader.close();
  }
}

async function exportPages(scope: RunScope, reader: EligibleReader): Promise<void> {
  const { setup, runtime, plugin, command, account, request, report } = scope;
  const rules = setup.rules.forTarget(plugin.ident, account?.name);
  // The plugins' filters and tests the rules use, a page's values at a time; their log lines join the run's.
  const call = functionCaller(runtime, setup.registry, setup.pluginOptions, { dryRun: request.dryRun, runId: report.id ?? undefined, onLogs: (lines, dropped) => scope.addLogs(lines, dropped) });
  const wouldSend: unknown[] = [];
  let after = "";
  for (let page = 0; ; page++) {
    const stored = reader.page(after, setup.config.inventory.page_size);
    if (stored.count === 0) break;
    after = stored.last!;
    // The target's rules: hosts they ignore are not sent; a host whose template fails is counted failed.
    const { page: batch, ignored, failed } = await pageForTarget(rules, stored, call);
    report.counts.skipped += ignored;
    report.counts.failed += failed.length;
    for (const host of failed) scope.addDetail("error", host.message);
    if (batch.count === 0) continue;
    if (request.dryRun) wouldSend.push(...(JSON.parse(new TextDecoder().decode(batch.json)) as unknown[]));
    const result = await runtime.call(plugin, command, {
      account,
      input: { page, hosts: new RawJson(batch.json) },
      dryRun: request.dryRun,
      debug: request.debug,
      runId: report.id ?? undefined,
    });
    scope.addLogs(result.logs, result.droppedLogs);
    request.onProgress?.({ page: page + 1, records: page * setup.config.inventory.page_size + batch.count });
    if (!result.ok) {
      report.counts.failed += batch.count;
      scope.addDetail("error", `page ${page + 1} (${batch.count} hosts up to ${batch.last}) failed: ${result.error.kind}: ${result.error.message}`);
      continue;
    }
    const answer = v.safeParse(ExportResultSchema, result.value);
    if (!answer.success) {
      report.counts.failed += batch.count;
      scope.addDetail("error", `page ${page + 1}: ${plugin.ident} ${command} answered something that is not {"results": [...]}: ${v.summarize(answer.issues)}`);
      continue;
    }
    for (const item of answer.output.results) {
      report.counts[item.status]++;
      if (item.status === "failed" || item.message) scope.addDetail(item.status === "failed" ? "error" : "info", `${item.hostname}: ${item.status}${item.message ? `: ${item.message}` : ""}`);
    }
  }
  if (request.dryRun) report.wouldSend = wouldSend;
}
