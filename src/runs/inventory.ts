import type { Database } from "bun:sqlite";
import { SyncerError } from "../errors.ts";
import { HostStore } from "../inventory/host-store.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Setup } from "../setup.ts";

/**
 * Merges the answers of an inventory's pages: objects key by key, arrays concatenated without
 * repeating equal strings or numbers (a group listed by every page appears once), anything else: the
 * later page wins. One merger per inventory: it remembers what each array holds across pages.
 */
export class InventoryMerger {
  private readonly members = new WeakMap<unknown[], Set<unknown>>();

  merge(into: unknown, page: unknown): unknown {
    if (Array.isArray(into) && Array.isArray(page)) {
      let seen = this.members.get(into);
      if (!seen) this.members.set(into, (seen = new Set(into.filter(isScalar))));
      for (const item of page) {
        if (isScalar(item)) {
          if (seen.has(item)) continue;
          seen.add(item);
        }
        into.push(item);
      }
      return into;
    }
    if (isObject(into) && isObject(page)) {
      for (const [key, value] of Object.entries(page)) into[key] = key in into ? this.merge(into[key], value) : value;
      return into;
    }
    return page;
  }
}

const isScalar = (item: unknown) => typeof item === "string" || typeof item === "number";
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** The plugin and (optional) account an inventory request names; a clear error when either is not there. */
export function inventoryTarget(setup: Setup, ident: string, accountName?: string): { plugin: Plugin; account: Account | undefined } {
  const plugin = setup.registry.plugins.get(ident);
  if (!plugin) throw new SyncerError("not_found", `no plugin '${ident}'`);
  if (!plugin.manifest.enabled) throw new SyncerError("disabled", `plugin ${ident} is disabled (${plugin.manifestPath})`);
  const account = accountName === undefined ? undefined : setup.accounts.get(accountName);
  if (accountName !== undefined && account?.plugin !== plugin) throw new SyncerError("not_found", `no account '${accountName}' of plugin ${ident}`);
  return { plugin, account };
}

/** The export that renders `format` for a plugin; `format` may be left out when it has only one. */
export function inventoryExport(plugin: Plugin, format?: string): { format: string; export: string } {
  const formats = plugin.manifest.inventory;
  if (formats.length === 0) throw new SyncerError("not_found", `plugin ${plugin.ident} renders no inventory format`);
  const chosen = format === undefined ? (formats.length === 1 ? formats[0] : undefined) : formats.find((entry) => entry.format === format);
  if (!chosen) throw new SyncerError("usage", `plugin ${plugin.ident} renders ${formats.map((entry) => entry.format).join(", ")}; ${format === undefined ? "choose one with --format" : `not ${format}`}`);
  return chosen;
}

/**
 * Renders the inventory for another tool (Ansible's dynamic inventory, say): the eligible hosts go to
 * the plugin in pages, [sandbox] processes at once, and the answers are merged. With `host`,
 * only that host is sent and the answer passes through as is.
 */
export async function renderInventory(
  setup: Setup,
  runtime: PluginRuntime,
  sqlite: Database,
  target: { plugin: Plugin; format?: string; account?: Account; host?: string },
): Promise<unknown> {
  const { plugin, account } = target;
  const chosen = inventoryExport(plugin, target.format);
  const store = new HostStore(sqlite);
  const call = async (hostsJson: string, host: string | null) => {
    const result = await runtime.call(plugin, chosen.export, {
      account,
      pluginOptions: setup.pluginOptions.get(plugin.ident),
      inputJson: `{"hosts":${hostsJson},"host":${JSON.stringify(host)}}`,
    });
    if (!result.ok) throw new SyncerError(result.error.kind, `${plugin.ident} inventory (${chosen.format}): ${result.error.message}`);
    return result.value;
  };
  if (target.host !== undefined) return call(store.eligiblePage("", 1, target.host).json, target.host);

  // Each page goes to the plugin as soon as it is read; the sandbox pool runs [sandbox] processes of them
  // at once while the next pages are read, and the answers merge in page order.
  const pageSize = setup.config.inventory.page_size;
  const answers: Promise<unknown>[] = [];
  for (let after = ""; ; ) {
    const batch = store.eligiblePage(after, pageSize);
    if (batch.count > 0 || answers.length === 0) answers.push(call(batch.json, null));
    if (batch.count < pageSize) break;
    after = batch.last!;
    await new Promise((resolve) => setImmediate(resolve)); // lets the request go out before the next read
  }
  const merger = new InventoryMerger();
  return (await Promise.all(answers)).reduce((merged, answer) => merger.merge(merged, answer));
}
