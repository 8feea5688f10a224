import type { HostRow } from "../db/hosts.ts";
import type { Storage } from "../db/storage.ts";
import { invalid } from "../config/load.ts";
import { readIncludedRules } from "../config/include.ts";
import { SyncerError } from "../core/errors.ts";
import { suggestion } from "../core/problems.ts";
import { functionCaller } from "../plugins/functions.ts";
import type { FunctionCaller } from "../rules/plugin-functions.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import { catalogOf, type Setup } from "../plugins/setup.ts";
import { compileRules, type RuleBook } from "../rules/compile.ts";
import type { Explanation, TargetRules } from "../rules/evaluate.ts";
import type { HostData } from "../rules/host.ts";
import { placeOf } from "../rules/rule.ts";

/**
 * What the rules make of the inventory, without applying anything: why one host gets what it gets
 * (`syncer rules debug`, GET /api/v1/hosts/{name}/rules), and how many hosts each rule of a file matches
 * (`syncer rules test`).
 */

/** A target by name (a plugin or an account); without one, every target the rules and [targets] name, or "*" when they name none. */
export function targetsOf(book: RuleBook, target: string | undefined): TargetRules[] {
  if (target === "*") return [book.forTarget("*")];
  if (target !== undefined) {
    const plugin = book.pluginOf(target);
    if (plugin === undefined) throw new SyncerError("not_found", `no plugin or account '${target}'${suggestion(target, book.targetNames())}`);
    return [plugin === target ? book.forTarget(plugin) : book.forTarget(plugin, target)];
  }
  const named = book.namedTargets();
  return named.length === 0 ? [book.forTarget("*")] : named.map((name) => targetsOf(book, name)[0]!);
}

/** A host of the inventory as rules see it; not_found when there is none. */
export function hostForRules(database: Storage, hostname: string): HostData {
  const host = database.hosts.get(hostname);
  if (!host) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
  return rulesViewOf(host);
}

/** What rules read of a stored host. */
export const rulesViewOf = (host: HostRow): HostData => ({ hostname: host.hostname, account: host.account, labels: host.labels, inventory: host.inventory });

/** Why a host gets what it gets, per target; the plugin filters and tests the rules use are called through `runtime`. */
export async function explainHost(setup: Setup, runtime: PluginRuntime, host: HostData, target: string | undefined): Promise<Explanation[]> {
  const call = functionCaller(runtime, setup.registry, setup.pluginOptions);
  const explanations: Explanation[] = [];
  for (const rules of targetsOf(setup.rules, target)) explanations.push(...(await rules.explainAll([host], call)));
  return explanations;
}

const utf8 = new TextDecoder();

/** The eligible hosts (active, not deleted) of the inventory, a page at a time. */
function* eligiblePages(database: Storage): Generator<HostData[]> {
  const reader = database.hosts.eligibleReader();
  try {
    for (let after = ""; ; ) {
      const page = reader.page(after, 5000);
      if (page.count === 0) return;
      yield JSON.parse(utf8.decode(page.json)) as HostData[];
      after = page.last!;
    }
  } finally {
    reader.close();
  }
}

/** One rule of a tested file: where it is, for which target, and on how many hosts it matched. */
export interface RuleCount {
  name: string;
  at: string;
  target: string;
  matched: number;
  /** Hosts whose evaluation failed at this rule (a template error). */
  failed: number;
}

export interface RulesTest {
  file: string;
  hosts: number;
  rules: RuleCount[];
}

/**
 * Evaluates the rules of `file` (a file as [include] rules takes it, checked the same way) against every
 * eligible host, each rule for its own target ("*" rules for every target at once), and counts the
 * hosts each matched: a rule after a matching last_match rule of its target counts no host.
 */
export async function testRules(setup: Setup, runtime: PluginRuntime, database: Storage, file: string): Promise<RulesTest> {
  const included = readIncludedRules([file], setup.config.source.dir);
  if (included.problems.length > 0) throw invalid(file, included.problems);
  const { book, problems } = compileRules({ ...setup.config, rules: included.rules, targets: {} }, catalogOf(setup.registry, setup.config));
  if (problems.length > 0) throw invalid(file, problems);
  const counted = await countRuleMatches(book, database, functionCaller(runtime, setup.registry, setup.pluginOptions));
  return { file: included.files[0] ?? file, ...counted };
}

/**
 * Every rule of `book`, in its order, with the eligible hosts it matches, each rule for its own target ("*" rules for
 * every target at once): a rule after a matching last_match rule of its target counts no host.
 */
export async function countRuleMatches(book: RuleBook, database: Storage, call: FunctionCaller): Promise<{ hosts: number; rules: RuleCount[] }> {
  const counts = new Map(book.rules.map((rule) => [rule, { name: rule.name, at: placeOf(rule), target: rule.target, matched: 0, failed: 0 }]));
  // Each distinct target once; "*" rules are counted through the "*" target, where no other rule is.
  const targets = [...new Set(book.rules.map((rule) => rule.target))].map((name) => targetsOf(book, name)[0]!);
  let hosts = 0;
  for (const page of eligiblePages(database)) {
    hosts += page.length;
    for (const target of targets) {
      for (const explanation of await target.explainAll(page, call)) {
        for (const [index, trace] of explanation.rules.entries()) {
          const rule = target.rules[index]!;
          if (rule.target !== target.name) continue;
          const count = counts.get(rule)!;
          if (trace.matched && !trace.error) count.matched++;
          if (trace.error) count.failed++;
        }
      }
    }
  }
  return { hosts, rules: [...counts.values()] };
}

/**
 * The config's rules with their counts, for the UI's rules page: counted once per rule book and inventory
 * version (HostRepository.version), so reloading the page costs nothing until the hosts or the rules change.
 * Requests that arrive while a count runs share it.
 */
export class RuleMatchCounts {
  private kept?: { book: RuleBook; version: string; counts: Promise<{ hosts: number; rules: RuleCount[] }> };

  constructor(private readonly database: Storage) {}

  of(setup: Setup, runtime: PluginRuntime): Promise<{ hosts: number; rules: RuleCount[] }> {
    const version = this.database.hosts.version();
    const kept = this.kept;
    if (kept && kept.book === setup.rules && kept.version === version) return kept.counts;
    const counts = countRuleMatches(setup.rules, this.database, functionCaller(runtime, setup.registry, setup.pluginOptions));
    this.kept = { book: setup.rules, version, counts };
    // A failed count is not kept: the next request tries again.
    counts.catch(() => {
      if (this.kept?.counts === counts) this.kept = undefined;
    });
    return counts;
  }
}
