import type { Database } from "bun:sqlite";
import { SyncerError } from "../errors.ts";
import { HostStore } from "../inventory/host-store.ts";
import type { Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Setup } from "../setup.ts";

/**
 * Merges the answers of an inventory's pages: objects key by key, arrays concatenated without
 * repeating equal strings or numbers (a group listed by every page appears once), anything else: the later page wins.
 */
export function mergeInventory(into: unknown, page: unknown): unknown {
  if (Array.isArray(into) && Array.isArray(page)) {
    const seen = new Set(into.filter((item) => typeof item === "string" || typeof item === "number"));
    for (const item of page) {
      if ((typeof item === "string" || typeof item === "number") && seen.has(item)) continue;
      if (typeof item === "string" || typeof item === "number") seen.add(item);
      into.push(item);
    }
    return into;
  }
  if (into && page && typeof into === "object" && typeof page === "object" && !Array.isArray(into) && !Array.isArray(page)) {
    const target = into as Record<string, unknown>;
    for (const [key, value] of Object.entries(page)) target[key] = key in target ? mergeInventory(target[key], value) : value;
    return target;
  }
  return page;
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
 * the plugin in pages, at most [sandbox] processes at once, and the answers are merged. With `host`,
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

  const pageSize = setup.config.inventory.page_size;
  const pages: string[] = [];
  for (let after = ""; ; ) {
    const batch = store.eligiblePage(after, pageSize);
    if (batch.count > 0) pages.push(batch.json);
    if (batch.count < pageSize) break;
    after = batch.last!;
  }
  if (pages.length === 0) pages.push("[]");
  // Pages render in parallel on the plugin's sandbox processes and merge in order.
  const answers: unknown[] = new Array(pages.length);
  let nextPage = 0;
  const worker = async () => {
    for (let index = nextPage++; index < pages.length; index = nextPage++) answers[index] = await call(pages[index]!, null);
  };
  await Promise.all(Array.from({ length: Math.min(setup.config.sandbox.processes, pages.length) }, worker));
  return answers.reduce((merged, answer) => mergeInventory(merged, answer));
}
