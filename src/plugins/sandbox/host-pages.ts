import type { PluginError } from "../../core/errors.ts";
import { Database } from "bun:sqlite";
import { HostStore, type EligiblePage } from "../../inventory/host-store.ts";
import type { HostRange } from "../protocol.ts";

const encoder = new TextEncoder();

/**
 * The sandbox's side of a HostRange: reads the page from the database (read-only, opened on first
 * use) and puts it into the request where the daemon left room for it. The sandboxes of a plugin
 * then read their pages side by side, off the daemon's thread, and no page crosses a pipe.
 */
export class HostPages {
  private store?: HostStore;
  private sqlite?: Database;

  constructor(private readonly databasePath: string | undefined) {}

  /** The request with the page in it and the page's hostnames, or why the page could not be read. */
  fill(request: Uint8Array, range: HostRange): { request: Uint8Array; hostnames: Set<string> } | { error: PluginError } {
    if (range.at < 0 || range.at > request.byteLength) return { error: { kind: "abi", message: `a host page at byte ${range.at} of a ${request.byteLength}-byte request` } };
    let page: EligiblePage;
    try {
      if (!this.databasePath) throw new Error("the sandbox was given no database");
      if (!this.store) {
        this.sqlite = new Database(this.databasePath, { readonly: true });
        this.store = new HostStore(this.sqlite);
      }
      page = this.store.eligibleRange(range.after, range.through);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { error: { kind: "runtime", message: `the sandbox could not read the hosts after ${JSON.stringify(range.after)} for the request: ${reason}` } };
    }
    const json = encoder.encode(page.json);
    const filled = new Uint8Array(request.byteLength + json.byteLength);
    filled.set(request.subarray(0, range.at));
    filled.set(json, range.at);
    filled.set(request.subarray(range.at), range.at + json.byteLength);
    return { request: filled, hostnames: new Set(page.hostnames) };
  }

  close(): void {
    this.sqlite?.close();
  }
}
