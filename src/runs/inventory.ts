import { SyncerError, type PluginErrorKind } from "../core/errors.ts";
import { HostArray, HostKeyed, isHostKeyedForm, joinHostKeyed, JoinedArray, jsonPieces } from "../plugins/host-keyed.ts";
import { Spool } from "./spool.ts";
import { RawJson } from "../plugins/raw-json.ts";
import type { AnswerCacheRepository } from "../db/answer-cache.ts";
import type { EligiblePage, HostRepository } from "../db/hosts.ts";
import { PageAnswers } from "./answer-cache.ts";
import { noAccount, type Account } from "../plugins/options.ts";
import type { Plugin } from "../plugins/plugin.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";
import type { Setup } from "../plugins/setup.ts";
import { functionCaller } from "../plugins/functions.ts";
import { pageForTarget } from "./target-page.ts";

/**
 * Merges the answers of an inventory's pages: objects key by key, arrays concatenated without
 * repeating equal strings or numbers (a group listed by every page appears once), anything else: the
 * later page wins. One merger per inventory: it remembers what each array holds across pages.
 * Host-keyed objects of different pages share no key, and host arrays no item: their texts are joined
 * as they are (arrays with some of them become a JoinedArray). Against an ordinary object a host-keyed
 * one is parsed, unless that object is empty and so adds nothing.
 */
export class InventoryMerger {
  private readonly members = new WeakMap<unknown[], Set<unknown>>();

  merge(into: unknown, page: unknown): unknown {
    if (into instanceof HostKeyed || page instanceof HostKeyed) {
      if (into instanceof HostKeyed && page instanceof HostKeyed) {
        into.bodies.push(...page.bodies);
        return into;
      }
      const objectLike = (value: unknown) => isObject(value) || value instanceof HostKeyed;
      if (!objectLike(into) || !objectLike(page)) return page;
      if (isEmptyObject(page)) return into;
      if (isEmptyObject(into)) return page;
      return this.merge(into instanceof HostKeyed ? into.parse() : into, page instanceof HostKeyed ? page.parse() : page);
    }
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
    if (arrayLike(into) && arrayLike(page)) {
      if (into instanceof HostArray && page instanceof HostArray) {
        into.bodies.push(...page.bodies);
        return into;
      }
      const joined = into instanceof JoinedArray ? into : new JoinedArray([into as unknown[] | HostArray]);
      const last = joined.parts[joined.parts.length - 1]!;
      if (last instanceof HostArray && page instanceof HostArray) last.bodies.push(...page.bodies);
      else joined.parts.push(page as unknown[] | HostArray);
      return joined;
    }
    if (isObject(into) && isObject(page)) {
      for (const [key, value] of Object.entries(page)) into[key] = key in into ? this.merge(into[key], value) : value;
      return into;
    }
    return page;
  }
}

const isScalar = (item: unknown) => typeof item === "string" || typeof item === "number";
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value) && !isHostKeyedForm(value);
const isEmptyObject = (value: unknown) => isObject(value) && Object.keys(value).length === 0;
const arrayLike = (value: unknown) => Array.isArray(value) || value instanceof HostArray || value instanceof JoinedArray;

/** The plugin and (optional) account an inventory request names; a clear error when either is not there. */
export function inventoryTarget(setup: Setup, ident: string, accountName?: string): { plugin: Plugin; account: Account | undefined } {
  const plugin = setup.registry.plugins.get(ident);
  if (!plugin) throw new SyncerError("not_found", `no plugin '${ident}'`);
  if (!plugin.manifest.enabled) throw new SyncerError("disabled", `plugin ${ident} is disabled (${plugin.manifestPath})`);
  const account = accountName === undefined ? undefined : setup.accounts.get(accountName);
  if (accountName !== undefined && account?.plugin !== plugin) {
    const own = [...setup.accounts.values()].filter((candidate) => candidate.plugin === plugin).map((candidate) => candidate.name);
    throw noAccount(accountName, own, `accounts of ${ident}`);
  }
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

/** A rendered inventory: its value (host-keyed parts may be stored in a spool) until closed. */
export interface RenderedInventory {
  value: unknown;
  /**
   * The document as compact JSON, a chunk at a time: stored parts are read back as their turn comes.
   * `reuse`: every chunk is the same buffer, filled again when the next is asked for (for a writer that
   * is done with each chunk before it asks for the next: no fresh memory per chunk).
   */
  chunks(options?: { reuse?: boolean }): Generator<Uint8Array>;
  /** Gives the spool back; the value's stored parts cannot be read after. */
  close(): void;
  /** What went wrong beside the document, which is whole (its page answers could not be kept, say). */
  warnings: string[];
}

/**
 * Pages an inventory sends to its plugin's first sandbox process before it spreads them over more ([sandbox]
 * processes). Another process costs its two starts, its module's compile and its own warm-up, about half a
 * second of CPU on the 2-core machine of bench/inventory.ts, which an inventory of 100k hosts (20 pages)
 * never wins back: there the main process reads and merges while one sandbox answers. Larger ones
 * (bench/scale.ts, 1M hosts) gain from the second.
 */
const ONE_PROCESS_PAGES = 40;

/** What the chunks of a document are gathered to before they are handed on. */
const CHUNK_BYTES = 256 * 1024;

const encoder = new TextEncoder();

/**
 * The document's pieces gathered into chunks of CHUNK_BYTES (the last one shorter): stored texts are
 * read from the spool straight into the chunk they belong to. Each chunk is a buffer of its own, kept
 * by whoever writes it out, unless `reuse`: then each is the one buffer, filled again for the next.
 */
function* chunksOf(value: unknown, reuse = false): Generator<Uint8Array> {
  let chunk = new Uint8Array(CHUNK_BYTES);
  let size = 0;
  for (const piece of jsonPieces(value)) {
    const bytes = typeof piece === "string" ? encoder.encode(piece) : piece;
    for (let offset = 0; offset < bytes.byteLength; ) {
      const part = Math.min(bytes.byteLength - offset, CHUNK_BYTES - size);
      const into = chunk.subarray(size, size + part);
      if (bytes instanceof Uint8Array) into.set(bytes.subarray(offset, offset + part));
      else bytes.readInto(into, offset);
      offset += part;
      size += part;
      if (size === CHUNK_BYTES) {
        yield chunk;
        if (!reuse) chunk = new Uint8Array(CHUNK_BYTES);
        size = 0;
      }
    }
  }
  if (size > 0) yield chunk.subarray(0, size);
}

/**
 * Renders the inventory for another tool (Ansible's dynamic inventory, say): the eligible hosts go to
 * the plugin in pages, [sandbox] processes at once, and the answers are merged. With `host`, only that
 * host is sent and the answer passes through as is. The pages' host-keyed parts (host-keyed.ts), nearly
 * all of a large inventory, go to a spool on disk as they arrive: memory holds the rest (group names,
 * say), and the document is written from both, a chunk at a time. A page whose answer was kept
 * (answer-cache.ts: same hosts, rules, plugin, options and build) takes it, with no rules run and no
 * plugin call.
 */
export async function renderInventory(
  setup: Setup,
  runtime: PluginRuntime,
  storage: { hosts: HostRepository; answers: AnswerCacheRepository },
  target: { plugin: Plugin; format?: string; account?: Account; host?: string },
): Promise<RenderedInventory> {
  const { hosts } = storage;
  const { plugin, account } = target;
  const chosen = inventoryExport(plugin, target.format);
  const pluginOptions = setup.pluginOptions.get(plugin.ident);
  const failed = (error: { kind: PluginErrorKind; message: string }) => new SyncerError(error.kind, `${plugin.ident} inventory (${chosen.format}): ${error.message}`);
  // The target's rules: what each host gets (labels, inventory, outcomes); hosts they ignore are left out.
  // A host whose template fails fails the inventory, naming the rule: a partial inventory would look complete.
  const rules = setup.rules.forTarget(plugin.ident, account?.name);
  const call = functionCaller(runtime, setup.registry, setup.pluginOptions);
  const forTarget = async (stored: EligiblePage) => {
    const { page, failed: broken } = await pageForTarget(rules, stored, call);
    if (broken.length > 0) throw new SyncerError("rejected", `${plugin.ident} inventory (${chosen.format}): ${broken.length} host(s) failed in the rules; ${broken[0]!.message}`);
    return page;
  };
  if (target.host !== undefined) {
    const input = { hosts: new RawJson((await forTarget(hosts.eligiblePage("", 1, target.host))).json), host: target.host };
    const result = await runtime.call(plugin, chosen.export, { account, pluginOptions, input });
    if (!result.ok) throw failed(result.error);
    return { value: result.value, chunks: (options) => chunksOf(result.value, options?.reuse), close: () => {}, warnings: [] };
  }

  // The daemon reads each page (SQLite writes its text) and sends it; [sandbox] processes work on pages
  // at once. A window of pages in flight keeps every sandbox busy while this one reads the next, and
  // bounds what is held: answers are merged in page order as they come back.
  const pageSize = setup.config.inventory.page_size;
  let sent = 0;
  // Two pages in flight while one process takes them (the one it works on and the next, CALLS_PER_PROCESS
  // of pool.ts: none waits in the pool's queue), two per process once they are spread.
  const window = () => (sent >= ONE_PROCESS_PAGES ? 2 * setup.config.sandbox.processes : 2);
  const inFlight: Promise<unknown>[] = [];
  const spool = new Spool();
  const reader = hosts.eligibleReader();
  const keep = (body: Uint8Array) => spool.store(body);
  const kept = PageAnswers.of(storage.answers, setup, plugin, chosen.export, account, rules);
  const sendPage = async (after: string): Promise<string | null> => {
    const stored = reader.page(after, pageSize);
    const next = stored.count < pageSize ? null : stored.last;
    const key = kept?.keyOf(stored);
    const found = key === undefined ? undefined : kept!.find(key);
    if (found) {
      // Joined (its parts stored in the spool) before the next page is found: found.output's memory is reused.
      inFlight.push(Promise.resolve(joinHostKeyed(found.output, found.spliced, keep)));
      return next;
    }
    const page = await forTarget(stored);
    const input = { hosts: new RawJson(page.json), host: null };
    const spread = sent++ >= ONE_PROCESS_PAGES;
    const answer = runtime.callUnparsed(plugin, chosen.export, { account, pluginOptions, input, pageHostnames: page.hostnames, answer: "inventory-page", spread }).then((outcome) => {
      if (!outcome.ok) throw failed(outcome.error);
      const spliced = outcome.facts?.spliced ?? [];
      if (key !== undefined) kept!.keep(key, { output: outcome.output, spliced });
      return joinHostKeyed(outcome.output, spliced, keep);
    });
    // A page that fails is reported when its turn comes, so none may reject unobserved before then.
    answer.catch(() => {});
    inFlight.push(answer);
    return next;
  };
  try {
    const merger = new InventoryMerger();
    let after: string | null = await sendPage("");
    let merged: unknown;
    for (let index = 0; inFlight.length > 0; index++) {
      while (after !== null && inFlight.length < window()) after = await sendPage(after);
      const answer = await inFlight.shift()!;
      merged = index === 0 ? answer : merger.merge(merged, answer);
    }
    kept?.settle();
    const warnings = kept?.warning === undefined ? [] : [kept.warning];
    return { value: merged, chunks: (options) => chunksOf(merged, options?.reuse), close: () => spool.close(), warnings };
  } catch (error) {
    // The pages still in flight store nothing once the spool is closed: wait for them first.
    await Promise.allSettled(inFlight);
    spool.close();
    throw error;
  } finally {
    reader.close();
  }
}
