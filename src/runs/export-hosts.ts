import * as v from "valibot";
import { SyncerError } from "../core/errors.ts";
import type { EligibleReader } from "../db/hosts.ts";
import type { TargetStateStore } from "../db/target-state.ts";
import { EXPORT_STATUSES, ExportBeginAnswerSchema, ExportResultSchema, FINGERPRINT_PATTERN } from "../plugins/abi.ts";
import { functionCaller } from "../plugins/functions.ts";
import { RawJson } from "../plugins/raw-json.ts";
import { deleteLimit } from "./delete-limit.ts";
import type { RunScope } from "./scope.ts";
import type { TargetRules } from "../rules/evaluate.ts";
import { ExportMemoRun, type MemoSplit } from "./export-memo.ts";
import { StoredPagesAhead } from "./stored-pages-ahead.ts";
import { pageForTarget } from "./target-page.ts";

const decoder = new TextDecoder();

/**
 * An export run: the eligible hosts (active, not deleted) in pages of [inventory] page_size, each page
 * one plugin call answering per-host results, which are counted into the run. A page whose call fails
 * is logged, its hosts counted as failed, and the export goes on. A dry run tells the plugin (its
 * non-GET HTTP is not sent) and keeps what would have been sent.
 *
 * A command with phases (ABI v1's export phases) diffs against its target: `begin` reads the target's
 * hosts first, all of them, into a scratch store (a failure there fails the run before anything is
 * sent); each page call gets what the target holds of its hosts; `finish` gets the owned hosts no page
 * carried, to delete within the account's delete_limit. Hosts that failed in the rules or in a failed
 * page count as carried: a failure never deletes.
 */
export async function exportHosts(scope: RunScope): Promise<void> {
  const phases = scope.plugin.manifest.commands[scope.command]?.phases;
  const rules = scope.setup.rules.forTarget(scope.plugin.ident, scope.account?.name);
  // Hosts nothing changed for are found by their memos (runs/export-memo.ts): only with a begin phase, which fingerprints the target.
  const memo = phases?.begin ? ExportMemoRun.open(scope, rules, scope.exportMemos) : undefined;
  const stored = scope.hosts.eligibleReader(memo ? { memos: memo.target } : {});
  const target = phases?.begin ? scope.targetState() : undefined;
  // With memos, the stored pages are read and taken apart while the begin phase reads the target.
  const ahead = memo ? new StoredPagesAhead(stored, scope.setup.config.inventory.page_size, (page) => memo.prepare(page)) : undefined;
  const reader = ahead ?? stored;
  try {
    if (phases?.begin) {
      const [read, readAhead] = await Promise.allSettled([readTarget(scope, phases.begin, target!).finally(() => ahead?.stop()), ahead?.run()]);
      // A failure to read the target comes first; one reading ahead is the run's too.
      if (read.status === "rejected") throw read.reason;
      if (readAhead.status === "rejected") throw readAhead.reason;
    }
    await exportPages(scope, reader, target, rules, memo);
    memo?.save();
    if (phases?.finish) await finishExport(scope, phases.finish, target);
  } finally {
    reader.close();
    target?.close();
  }
}

/** A phase's or page's call, with the run's flags; its log lines join the run's. */
async function callPlugin(scope: RunScope, exportName: string, input: unknown) {
  const { runtime, plugin, account, request, report } = scope;
  const result = await runtime.call(plugin, exportName, { account, input, dryRun: request.dryRun, debug: request.debug, runId: report.id ?? undefined });
  scope.addLogs(result.logs, result.droppedLogs);
  return result;
}

/**
 * The begin phase into `target`: page by page until its cursor is null, and each cursor an answer gives in
 * `also` (a part of the target of its own) followed alike; as many calls at once as the plugin may have
 * sandbox processes ([sandbox] processes), so that one process reads the target while another's answer is
 * worked on.
 */
async function readTarget(scope: RunScope, begin: string, target: TargetStateStore): Promise<void> {
  const where = `${scope.plugin.ident} ${scope.command} (${begin})`;
  const width = Math.max(1, scope.setup.config.sandbox.processes);
  const waiting: (string | null)[] = [null];
  const given = new Set<string>();
  let pages = 0;
  const readPage = async (cursor: string | null): Promise<void> => {
    const page = ++pages;
    const result = await callPlugin(scope, begin, { cursor });
    if (!result.ok) throw new SyncerError(result.error.kind, `${where}: reading the target failed at page ${page}: ${result.error.message}; nothing was sent`);
    const answer = plainBeginAnswer(result.value) ? { success: true as const, output: result.value } : v.safeParse(ExportBeginAnswerSchema, result.value);
    if (!answer.success) throw new SyncerError("abi", `${where}: page ${page} is not {"hosts": [{hostname, owned, state}], "next": …}: ${v.summarize(answer.issues)}; nothing was sent`);
    target.add(answer.output.hosts.map((host) => ({ hostname: host.hostname, owned: host.owned, state: JSON.stringify(host.state ?? null), fingerprint: host.fingerprint })));
    const { next, also } = answer.output;
    for (const further of next === null ? (also ?? []) : [next, ...(also ?? [])]) {
      if (further === cursor) throw new SyncerError("abi", `${where}: page ${page} answered the cursor it was given (${JSON.stringify(further)}) as the next one; nothing was sent`);
      if (given.has(further)) throw new SyncerError("abi", `${where}: page ${page} answered the cursor ${JSON.stringify(further)}, which another answer gave before; nothing was sent`);
      given.add(further);
      waiting.push(further);
    }
  };
  const running = new Set<Promise<void>>();
  try {
    while (waiting.length > 0 || running.size > 0) {
      while (running.size < width && waiting.length > 0) {
        const read: Promise<void> = readPage(waiting.shift()!).finally(() => running.delete(read));
        running.add(read);
      }
      await Promise.race(running);
    }
  } catch (error) {
    // The reads still out write into `target`: the run closes it only after them.
    await Promise.allSettled(running);
    throw error;
  }
}

/**
 * A stored page with the target's rules applied: what its call sends, the hosts the rules left out or failed on,
 * and those its memos found unchanged (not sent), with the input fingerprints of those sent.
 */
type PreparedPage = Awaited<ReturnType<typeof pageForTarget>> & { last: string; unchanged: string[]; inputs?: MemoSplit["inputs"] };

/**
 * The pages, each one call, one after the other: while the plugin works on a page, the daemon reads the
 * next and evaluates the target's rules for it, so that its call goes out as soon as the page before has
 * answered. A plugin sees each page's writes done (Checkmk's folders made) before the next page comes.
 */
async function exportPages(scope: RunScope, reader: EligibleReader, target: TargetStateStore | undefined, rules: TargetRules, memo: ExportMemoRun | undefined): Promise<void> {
  const { setup, runtime, command, request, report } = scope;
  // The plugins' filters and tests the rules use, a page's values at a time; their log lines join the run's.
  const call = functionCaller(runtime, setup.registry, setup.pluginOptions, { dryRun: request.dryRun, runId: report.id ?? undefined, onLogs: (lines, dropped) => scope.addLogs(lines, dropped) });
  const pageSize = setup.config.inventory.page_size;
  const prepare = async (after: string): Promise<PreparedPage | undefined> => {
    const stored = reader.page(after, pageSize);
    if (stored.count === 0) return undefined;
    const split = memo && target ? memo.split(stored, target) : undefined;
    // The target's rules: hosts they ignore are not sent; a host whose template fails is counted failed.
    return { ...(await pageForTarget(rules, split?.page ?? stored, call)), last: stored.last!, unchanged: split?.unchanged ?? [], inputs: split?.inputs };
  };
  const wouldSend: unknown[] = [];
  let prepared = await prepare("");
  for (let page = 0; prepared; page++) {
    const { page: batch, ignored, failed, last, unchanged, inputs } = prepared;
    report.counts.skipped += ignored;
    report.counts.failed += failed.length;
    report.counts.unchanged += unchanged.length;
    // Carried by the page, though not sent: the finish phase does not delete them.
    if (unchanged.length > 0) target?.take(unchanged);
    for (const host of failed) scope.addDetail("error", host.message);
    const hostnames = batch.count === 0 ? [] : decoder.decode(batch.hostnames).split("\n");
    const current = target?.take([...hostnames, ...failed.map((host) => host.hostname)]);
    if (batch.count === 0) {
      prepared = await prepare(last);
      continue;
    }
    if (request.dryRun) wouldSend.push(...(JSON.parse(decoder.decode(batch.json)) as unknown[]));
    // `current` before `hosts`: a plugin reading the request as a stream knows the target's side of each host as it reaches it.
    const input = { page, ...(current ? { current: new RawJson(stateObject(current)) } : {}), hosts: new RawJson(batch.json) };
    const sent = callPlugin(scope, command, input);
    // The next page is read and its rules evaluated while the plugin works on this one.
    const next = prepare(last);
    // Its failure is met where it is awaited, below: not reported meanwhile as unhandled.
    next.catch(() => {});
    const result = await sent;
    request.onProgress?.({ page: page + 1, records: page * pageSize + batch.count });
    if (!result.ok) {
      report.counts.failed += batch.count;
      scope.addDetail("error", `page ${page + 1} (${batch.count} hosts up to ${batch.last}) failed: ${result.error.kind}: ${result.error.message}`);
    } else {
      const results = countResults(scope, result.value, `page ${page + 1}`, batch.count);
      if (memo && results && inputs) memo.learn(results, inputs);
    }
    prepared = await next;
  }
  if (request.dryRun) report.wouldSend = wouldSend;
}

/**
 * The finish phase: the target's owned hosts no page carried, in chunks of page_size, then a last call
 * (with an empty chunk when there is nothing to delete, so that the plugin may activate). Past the
 * account's delete_limit nothing is deleted, the plugin still finishes, and the run fails saying so.
 */
async function finishExport(scope: RunScope, finish: string, target: TargetStateStore | undefined): Promise<void> {
  const { plugin, command, account, request, report, setup } = scope;
  const { owned, untaken } = target?.ownedCounts() ?? { owned: 0, untaken: 0 };
  const limit = account ? deleteLimit(account.config.delete_limit, owned) : 0;
  const refused = untaken > limit && !request.force;
  const size = setup.config.inventory.page_size;
  for (let after = "", chunk = 1; ; chunk++) {
    const entries = refused || !target ? [] : target.untakenOwned(after, size);
    const last = entries.length < size;
    const changed = report.counts.created + report.counts.updated + report.counts.deleted > 0;
    const input = { delete: new RawJson(`[${entries.map((entry) => `{"hostname":${JSON.stringify(entry.hostname)},"state":${entry.state}}`).join(",")}]`), changed, last };
    const result = await callPlugin(scope, finish, input);
    if (!result.ok) {
      report.counts.failed += entries.length;
      scope.addDetail("error", `${finish} (chunk ${chunk}, ${entries.length} deletions) failed: ${result.error.kind}: ${result.error.message}`);
    } else {
      countResults(scope, result.value, `${finish} (chunk ${chunk})`, entries.length);
    }
    if (last) break;
    after = entries.at(-1)!.hostname;
  }
  if (refused) {
    throw new SyncerError(
      "delete_limit",
      `${plugin.ident} ${command}: the export would delete ${untaken} of the ${owned} hosts it owns on the target, more than the delete_limit of account ${account?.name ?? "(none)"} (${account?.config.delete_limit ?? 0}); nothing was deleted. Check the inventory, or run again with --force`,
    );
  }
}

/** `{"hostname": state, …}` from the kept states, their JSON text as it is. */
function stateObject(states: Map<string, string>): string {
  const parts: string[] = [];
  for (const [hostname, state] of states) parts.push(`${JSON.stringify(hostname)}:${state}`);
  return `{${parts.join(",")}}`;
}

/** Counts an answer's per-host results into the run, and answers them; an answer of another shape fails its `hosts` hosts. */
function countResults(scope: RunScope, value: unknown, what: string, hosts: number): v.InferOutput<typeof ExportResultSchema>["results"] | undefined {
  const { plugin, command, report } = scope;
  const answer = plainResults(value) ? { success: true as const, output: value } : v.safeParse(ExportResultSchema, value);
  if (!answer.success) {
    report.counts.failed += hosts;
    scope.addDetail("error", `${what}: ${plugin.ident} ${command} answered something that is not {"results": [...]}: ${v.summarize(answer.issues)}`);
    return undefined;
  }
  for (const item of answer.output.results) {
    report.counts[item.status]++;
    if (item.status === "failed" || item.message) scope.addDetail(item.status === "failed" ? "error" : "info", `${item.hostname}: ${item.status}${item.message ? `: ${item.message}` : ""}`);
  }
  return answer.output.results;
}

// Whether an answer surely passes its schema, decided without valibot: a target of 100k hosts answers 100k
// entries, and the schema's check of them was a tenth of an unchanged export. Each accepts a subset of what its
// schema accepts; anything it doubts goes to the schema, which decides and words the problem.

const NOT_BLANK = /\S/;
const STATUSES: ReadonlySet<unknown> = new Set(EXPORT_STATUSES);

const plainFingerprint = (value: unknown): boolean => typeof value === "string" && FINGERPRINT_PATTERN.test(value);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function plainBeginAnswer(value: unknown): value is v.InferOutput<typeof ExportBeginAnswerSchema> {
  if (!isRecord(value) || !Array.isArray(value.hosts) || (value.next !== null && typeof value.next !== "string")) return false;
  if (value.also !== undefined && (!Array.isArray(value.also) || !value.also.every((cursor) => typeof cursor === "string"))) return false;
  for (const host of value.hosts as unknown[]) {
    if (!isRecord(host) || typeof host.owned !== "boolean" || (host.fingerprint !== undefined && !plainFingerprint(host.fingerprint))) return false;
    const { hostname } = host;
    if (typeof hostname !== "string" || hostname.length > 253 || !NOT_BLANK.test(hostname)) return false;
  }
  return true;
}

function plainResults(value: unknown): value is v.InferOutput<typeof ExportResultSchema> {
  if (!isRecord(value) || !Array.isArray(value.results)) return false;
  for (const item of value.results as unknown[]) {
    if (!isRecord(item) || typeof item.hostname !== "string" || !STATUSES.has(item.status) || (item.message !== undefined && typeof item.message !== "string")) return false;
    if (item.fingerprint !== undefined && !plainFingerprint(item.fingerprint)) return false;
  }
  return true;
}
