import * as v from "valibot";
import { SyncerError } from "../core/errors.ts";
import type { HostStaging } from "../db/hosts.ts";
import { changeOf, entryOf, rewrite, stagedOf, type PlanEntry } from "../inventory/plan.ts";
import { HookAnswerSchema, LifecycleHookAnswerSchema, type HostChange } from "../plugins/abi.ts";
import type { LifecycleState } from "../core/hosts.ts";
import type { HOOK_EVENTS } from "../plugins/manifest/schema.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { Setup } from "../plugins/setup.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { RunDetail } from "./run-log.ts";

export type HookEvent = (typeof HOOK_EVENTS)[number];

/** Which run the hook is called for (the `run` of its input). */
export interface HookRun {
  id: number | null;
  plugin: string;
  command: string;
  account: string | null;
}

interface Hook {
  plugin: Plugin;
  export: string;
  priority: number;
}

/**
 * easydb-style hooks: every enabled plugin's hooks for an event, in priority order (lower first, then
 * by ident), called once per page of changes. A pre_ hook may rewrite or drop changes or reject the
 * page; a rejection or a failure aborts the run before anything is written.
 */
export class Hooks {
  private readonly byEvent = new Map<HookEvent, Hook[]>();

  private readonly pageSize: number;

  constructor(
    private readonly setup: Setup,
    private readonly runtime: PluginRuntime,
  ) {
    this.pageSize = setup.config.inventory.page_size;
    for (const plugin of setup.registry.plugins.values()) {
      if (!plugin.manifest.enabled) continue;
      for (const hook of plugin.manifest.hooks) {
        const list = this.byEvent.get(hook.event) ?? [];
        list.push({ plugin, export: hook.export, priority: hook.priority });
        this.byEvent.set(hook.event, list);
      }
    }
    for (const list of this.byEvent.values()) list.sort((a, b) => a.priority - b.priority || a.plugin.ident.localeCompare(b.plugin.ident));
  }

  /**
   * Runs the pre_ hooks of `event` over the staged entries it concerns (creates and updates, or deletes),
   * page by page, and stages what they leave: a rewritten change in place of the entry, a dropped one
   * taken out (its host stays as it is). `logCreates` as for stagedOf.
   */
  async before(event: "host.pre_update" | "host.pre_delete", staging: HostStaging, run: HookRun, details: RunDetail[], logCreates = false): Promise<void> {
    const hooks = this.byEvent.get(event);
    if (!hooks?.length) return;
    const actions = event === "host.pre_delete" ? (["delete"] as const) : (["create", "update"] as const);
    for (const staged of staging.entries(actions, this.pageSize)) {
      const origins = new Map(staged.map((entry) => [entry.hostname, entry.origin]));
      let page = staged.map(entryOf);
      for (const hook of hooks) {
        if (page.length === 0) break;
        page = await this.callBefore(hook, event, page, run, details);
      }
      for (const entry of page) origins.delete(entry.hostname);
      staging.replace(page.map((entry) => stagedOf(entry, origins.get(entry.hostname), logCreates)));
      staging.remove([...origins.keys()]);
    }
  }

  private async callBefore(hook: Hook, event: HookEvent, page: PlanEntry[], run: HookRun, details: RunDetail[]): Promise<PlanEntry[]> {
    const name = `hook ${hook.plugin.ident}.${hook.export} (${event})`;
    const changes = page.map((entry) => changeOf(entry)!);
    const result = await this.runtime.call(hook.plugin, hook.export, { input: { event, run, changes }, pluginOptions: this.setup.pluginOptions.get(hook.plugin.ident), runId: run.id ?? undefined });
    for (const line of result.logs) details.push({ level: line.level, message: `${hook.plugin.ident}: ${line.message}` });
    if (!result.ok) throw new SyncerError(result.error.kind, `${name} failed: ${result.error.message}`);
    const answer = v.safeParse(HookAnswerSchema, result.value);
    if (!answer.success) throw new SyncerError("abi", `${name} answered something that is not null, {"changes": [...]} or {"reject": "..."}: ${v.summarize(answer.issues)}`);
    const verdict = answer.output;
    if (verdict === null) return page;
    if ("reject" in verdict) throw new SyncerError("rejected", `${name} rejected the changes: ${verdict.reject}`);
    const byHost = new Map(page.map((entry) => [entry.hostname, entry]));
    const next: PlanEntry[] = [];
    for (const change of verdict.changes as HostChange[]) {
      const entry = byHost.get(change.hostname);
      if (!entry || changeOf(entry)!.action !== change.action) {
        throw new SyncerError("abi", `${name} returned a change for ${JSON.stringify(change.hostname)} (${change.action}) that was not in its input`);
      }
      byHost.delete(change.hostname);
      next.push(change.new ? rewrite(entry, change.new) : entry);
    }
    if (byHost.size > 0) details.push({ level: "info", message: `${name} dropped the changes of ${byHost.size} host(s): ${[...byHost.keys()].slice(0, 10).join(", ")}` });
    return next;
  }

  /**
   * After a commit: the post_update hooks over every staged change, then the post_delete hooks over the
   * deletions. A failure is logged in `details`, never undoes the run.
   */
  async after(staging: HostStaging, run: HookRun, details: RunDetail[]): Promise<void> {
    await this.callAfter("host.post_update", staging, ["create", "update", "delete"], run, details);
    await this.callAfter("host.post_delete", staging, ["delete"], run, details);
  }

  private async callAfter(event: "host.post_update" | "host.post_delete", staging: HostStaging, actions: readonly ("create" | "update" | "delete")[], run: HookRun, details: RunDetail[]): Promise<void> {
    const hooks = this.byEvent.get(event);
    if (!hooks?.length) return;
    for (const staged of staging.entries(actions, this.pageSize)) {
      const page = staged.map((entry) => changeOf(entryOf(entry))!);
      for (const hook of hooks) {
        const result = await this.runtime.call(hook.plugin, hook.export, {
          input: { event, run, changes: page },
          pluginOptions: this.setup.pluginOptions.get(hook.plugin.ident),
          runId: run.id ?? undefined,
        });
        for (const line of result.logs) details.push({ level: line.level, message: `${hook.plugin.ident}: ${line.message}` });
        if (!result.ok) details.push({ level: "error", message: `hook ${hook.plugin.ident}.${hook.export} (${event}) failed: ${result.error.kind}: ${result.error.message}` });
      }
    }
  }

  /**
   * The host.pre_lifecycle hooks, in order, before a host's lifecycle changes: any may veto it (a
   * `rejected` error with its reason); a hook that fails stops the change too, as a pre_ hook does.
   */
  async beforeLifecycle(host: LifecycleHost, old: LifecycleState, next: LifecycleState, details: RunDetail[]): Promise<void> {
    for (const hook of this.byEvent.get("host.pre_lifecycle") ?? []) {
      const name = `hook ${hook.plugin.ident}.${hook.export} (host.pre_lifecycle)`;
      const result = await this.callLifecycle(hook, "host.pre_lifecycle", host, old, next, details);
      if (!result.ok) throw new SyncerError(result.error.kind, `${name} failed: ${result.error.message}`);
      const answer = v.safeParse(LifecycleHookAnswerSchema, result.value);
      if (!answer.success) throw new SyncerError("abi", `${name} answered something that is not null or {"reject": "..."}: ${v.summarize(answer.issues)}`);
      if (answer.output) throw new SyncerError("rejected", `${name} vetoed ${host.hostname} becoming ${next}: ${answer.output.reject}`);
    }
  }

  /** The host.post_lifecycle hooks after the change was committed; a failure is logged in `details`. */
  async afterLifecycle(host: LifecycleHost, old: LifecycleState, next: LifecycleState, details: RunDetail[]): Promise<void> {
    for (const hook of this.byEvent.get("host.post_lifecycle") ?? []) {
      const result = await this.callLifecycle(hook, "host.post_lifecycle", host, old, next, details);
      if (!result.ok) details.push({ level: "error", message: `hook ${hook.plugin.ident}.${hook.export} (host.post_lifecycle) failed: ${result.error.kind}: ${result.error.message}` });
    }
  }

  private async callLifecycle(hook: Hook, event: "host.pre_lifecycle" | "host.post_lifecycle", host: LifecycleHost, old: LifecycleState, next: LifecycleState, details: RunDetail[]) {
    const result = await this.runtime.call(hook.plugin, hook.export, { input: { event, host, old, new: next }, pluginOptions: this.setup.pluginOptions.get(hook.plugin.ident) });
    for (const line of result.logs) details.push({ level: line.level, message: `${hook.plugin.ident}: ${line.message}` });
    return result;
  }
}

/** A host as lifecycle hooks see it. */
export interface LifecycleHost {
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
}
