import * as v from "valibot";
import { SyncerError } from "../core/errors.ts";
import { changeOf, rewrite, type PlanEntry } from "../inventory/plan.ts";
import { HookAnswerSchema, type HostChange } from "../plugins/abi.ts";
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
   * Runs the pre_ hooks of `event` over the entries it concerns (creates and updates, or deletes), page by
   * page. Returns the entries as the hooks left them; a dropped change leaves its host as it is.
   */
  async before(event: "host.pre_update" | "host.pre_delete", entries: PlanEntry[], run: HookRun, details: RunDetail[]): Promise<PlanEntry[]> {
    const hooks = this.byEvent.get(event);
    if (!hooks?.length) return entries;
    const concerned = (entry: PlanEntry) => (event === "host.pre_delete" ? entry.action === "delete" : entry.action === "create" || entry.action === "update");
    const kept = entries.filter((entry) => !concerned(entry));
    const pending = entries.filter(concerned);
    for (let start = 0; start < pending.length; start += this.pageSize) {
      let page = pending.slice(start, start + this.pageSize);
      for (const hook of hooks) {
        if (page.length === 0) break;
        page = await this.callBefore(hook, event, page, run, details);
      }
      kept.push(...page);
    }
    return kept;
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

  /** Runs the post_update hooks after a commit; a failure is logged, never undoes the run. */
  async after(entries: PlanEntry[], run: HookRun, details: RunDetail[]): Promise<void> {
    const hooks = this.byEvent.get("host.post_update");
    if (!hooks?.length) return;
    const changes = entries.flatMap((entry) => changeOf(entry) ?? []);
    for (let start = 0; start < changes.length; start += this.pageSize) {
      const page = changes.slice(start, start + this.pageSize);
      for (const hook of hooks) {
        const result = await this.runtime.call(hook.plugin, hook.export, {
          input: { event: "host.post_update", run, changes: page },
          pluginOptions: this.setup.pluginOptions.get(hook.plugin.ident),
          runId: run.id ?? undefined,
        });
        for (const line of result.logs) details.push({ level: line.level, message: `${hook.plugin.ident}: ${line.message}` });
        if (!result.ok) details.push({ level: "error", message: `hook ${hook.plugin.ident}.${hook.export} (host.post_update) failed: ${result.error.kind}: ${result.error.message}` });
      }
    }
  }
}
