import type { LifecycleState } from "../core/hosts.ts";
import { SyncerError } from "../core/errors.ts";
import type { HostRepository } from "../db/hosts.ts";
import type { Hooks } from "./hooks.ts";
import type { RunDetail } from "./run-log.ts";

/** What became of a lifecycle change, and what its hooks said. */
export interface LifecycleOutcome {
  changed: boolean;
  old: LifecycleState;
  details: RunDetail[];
}

/**
 * Moves a host to another lifecycle state: the host.pre_lifecycle hooks may veto it (a `rejected` error
 * naming the hook and its reason, nothing written), then the change is written with its change-log entry
 * and host.lifecycle event in one transaction, then the host.post_lifecycle hooks hear of it. A host
 * already in that state is left alone, without hooks.
 */
export async function changeLifecycle(hosts: HostRepository, hooks: Hooks, hostname: string, state: LifecycleState, now = Date.now): Promise<LifecycleOutcome> {
  const host = hosts.get(hostname);
  if (!host) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
  const details: RunDetail[] = [];
  if (host.lifecycle === state) return { changed: false, old: state, details };
  const seen = { hostname: host.hostname, account: host.account, labels: host.labels };
  await hooks.beforeLifecycle(seen, host.lifecycle, state, details);
  if (!hosts.setLifecycle(hostname, state, now())) throw new SyncerError("not_found", `no host ${JSON.stringify(hostname)}`);
  await hooks.afterLifecycle(seen, host.lifecycle, state, details);
  return { changed: true, old: host.lifecycle, details };
}
