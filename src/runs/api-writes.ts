import { SyncerError } from "../core/errors.ts";
import type { HostRepository } from "../db/hosts.ts";
import { namespaceOf, replaceNamespace, sameMap, type FlatMap } from "../inventory/maps.ts";
import { normalHostname } from "../inventory/records.ts";
import { MANUAL_OWNER } from "../core/hosts.ts";
import { compare, entryOf, planRecord, stagedOf, stateOf, type PlanEntry } from "../inventory/plan.ts";
import type { HostRecord } from "../plugins/abi.ts";
import { noAccount } from "../plugins/options.ts";
import type { Setup } from "../plugins/setup.ts";
import type { Hooks } from "./hooks.ts";
import type { RunDetail } from "./run-log.ts";

/** What one host write of the API did. */
export type WriteOutcome = "created" | "updated" | "unchanged";

export interface UpsertSummary {
  created: number;
  updated: number;
  unchanged: number;
  /** Per hostname, in request order. */
  outcomes: { hostname: string; outcome: WriteOutcome }[];
}

/** Hosts named in a 409 account_conflict, at most this many. */
const CONFLICTS_LISTED = 20;

/**
 * Host writes from the HTTP API and the CLI, with the semantics of an import by the named account, or
 * without one by the manual owner (MANUAL_OWNER): ownership (a host a master account owns, or one made
 * by hand when the writer is no master account, is not taken over: the request fails with
 * account_conflict), labels replaced as a whole, inventory replaced in the writer's namespace, pre/post
 * hooks, the change log (creations included). Each request is one transaction: all of its hosts or none.
 */
export class ApiWrites {
  constructor(
    private readonly setup: Setup,
    private readonly store: HostRepository,
    private readonly hooks: Hooks,
  ) {}

  /**
   * Creates or updates hosts on behalf of `account`, or by hand (owner MANUAL_OWNER) without one or
   * with that name, so that a host read and written back as it was keeps its owner.
   * Hostnames are normalised as imports do; a name twice is a validation error.
   */
  async upsert(accountName: string | undefined, records: HostRecord[]): Promise<UpsertSummary> {
    const account = accountName === undefined || accountName === MANUAL_OWNER ? MANUAL_OWNER : this.account(accountName);
    const { lowercase_hostnames } = this.setup.config.inventory;
    const seen = new Set<string>();
    for (const record of records) {
      record.hostname = normalHostname(record.hostname, lowercase_hostnames);
      if (seen.has(record.hostname)) throw new SyncerError("validation", `hostname ${JSON.stringify(record.hostname)} appears twice in the request`);
      seen.add(record.hostname);
    }
    const existing = this.store.existing([...seen]);
    const masters = new Set([...this.setup.accounts.values()].filter((a) => a.config.is_master).map((a) => a.name));
    let plan = records.map((record) => planRecord(record, existing.get(record.hostname), { kind: "import", account, masters }));
    const skipped = plan.flatMap((entry) => (entry.action === "skipped" ? [entry] : []));
    if (skipped.length > 0) {
      throw new SyncerError(
        "account_conflict",
        `${skipped.length} host(s) are not taken over by ${account}: ${skipped.slice(0, 3).map((entry) => `${entry.hostname} (${entry.reason})`).join(", ")}${skipped.length > 3 ? ", …" : ""}; nothing was written`,
        { conflicts: skipped.slice(0, CONFLICTS_LISTED).map((entry) => ({ hostname: entry.hostname, owner: entry.owner ?? null })) },
      );
    }
    plan = await this.commit(plan, account, "upsert");
    const outcome = new Map(plan.map((entry) => [entry.hostname, entry.action === "create" ? "created" : entry.action === "update" ? "updated" : "unchanged"] as const));
    const outcomes = records.map((record) => ({ hostname: record.hostname, outcome: outcome.get(record.hostname) ?? "unchanged" }));
    const count = (what: WriteOutcome) => outcomes.filter((o) => o.outcome === what).length;
    return { created: count("created"), updated: count("updated"), unchanged: count("unchanged"), outcomes };
  }

  /** Replaces the `namespace` fields of one host's inventory (the other namespaces stay). */
  async setNamespace(hostname: string, namespace: string, fields: FlatMap): Promise<WriteOutcome> {
    const host = this.store.existing([hostname]).get(hostname);
    if (!host || host.deletedAt !== null) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
    const current = stateOf(host);
    const { namespaced, merged } = replaceNamespace(current.inventory, namespace, fields);
    if (sameMap(namespaceOf(current.inventory, namespace), namespaced)) return "unchanged";
    await this.commit([compare(host, current, host.account, { labels: current.labels, inventory: merged })], namespace, "set_inventory");
    return "updated";
  }

  /** Soft-deletes one host; false when it was deleted already. */
  async remove(hostname: string, reason: string): Promise<boolean> {
    const host = this.store.existing([hostname]).get(hostname);
    if (!host) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
    if (host.deletedAt !== null) return false;
    const plan = await this.commit([{ action: "delete", hostname, host, reason }], host.account, "delete");
    return plan.some((entry) => entry.action === "delete");
  }

  private account(name: string): string {
    const account = this.setup.accounts.get(name);
    if (!account) throw noAccount(name, [...this.setup.accounts.keys()]);
    if (!account.config.enabled) throw new SyncerError("disabled", `account ${name} is disabled (enabled = false)`);
    return name;
  }

  /**
   * Pre hooks, one transaction, post hooks; the plan as the hooks left it. Hook messages go to the daemon
   * log through the caller's error, if any.
   */
  private async commit(plan: PlanEntry[], account: string | null, command: string): Promise<PlanEntry[]> {
    const run = { id: null, plugin: "api", command, account };
    const details: RunDetail[] = [];
    const staging = this.store.stage();
    try {
      const duplicate = staging.add(plan.map((entry) => stagedOf(entry, undefined, true)));
      if (duplicate) throw new SyncerError("validation", `hostname ${JSON.stringify(duplicate.hostname)} appears twice in the request`);
      await this.hooks.before("host.pre_update", staging, run, details, true);
      await this.hooks.before("host.pre_delete", staging, run, details, true);
      const written = [...staging.entries(["create", "update", "unchanged", "skipped", "delete"], Math.max(plan.length, 1))].flat().map(entryOf);
      staging.apply(null, Date.now(), this.setup.config.inventory.change_log_limit);
      await this.hooks.after(staging, run, details);
      return written;
    } finally {
      staging.close();
    }
  }
}
