import { createHash } from "node:crypto";
import type { EligiblePage } from "../db/hosts.ts";
import type { ExportMemo, ExportMemoRepository } from "../db/export-memos.ts";
import type { TargetStateStore } from "../db/target-state.ts";
import type { TargetRules } from "../rules/evaluate.ts";
import { callInputs } from "./call-inputs.ts";
import type { RunScope } from "./scope.ts";

const decoder = new TextDecoder();

/** Bumped when what the input fingerprint covers changes: every memo kept before is then not the same input. */
const MEMO_FORMAT = 1;

/** A stored page split by the memos: the hosts to send (the page's rest, as stored), and those found unchanged without. */
export interface MemoSplit {
  page: EligiblePage;
  /** Hosts whose inputs are as when their memo was kept, which the target still holds as it wanted them. */
  unchanged: string[];
  /**
   * The hosts sent, by hostname: their JSON as sent, their memo as read ("" for none) and, once computed, their input
   * fingerprint, for what their results teach (learn). Only a host with a memo, or whose result has a fingerprint, is
   * hashed: a plugin that fingerprints nothing costs no hashing.
   */
  inputs: Map<string, { json: Uint8Array; memo: string; input?: string }>;
}

/** A stored page taken apart: its hosts' names, JSON and memos, and the input fingerprint of each host with a memo. */
interface PageParts {
  hostnames: string[];
  jsons: Uint8Array[];
  memos: string[];
  hashed: (string | undefined)[];
}

/**
 * An export's memos (ABI v1 `fingerprint`, docs/abi-v1.md): a plugin whose begin phase fingerprints each host
 * the target holds, and whose pages answer with each host's fingerprint as it wants it, lets the run skip the
 * hosts nothing changed for. A host's input fingerprint covers its JSON as sent (hostname, account, labels,
 * inventory) and, as the hash's seed, everything else the plugin's answer depends on (callInputs: the target's
 * rules and [targets] entry as written, the plugin's module and manifest, the command, the account's address,
 * username and options but not its secrets, and Syncer's build). A host is skipped, counted unchanged, only when its
 * input is the memo's and the target's fingerprint of it (read by this run's begin phase) is the memo's: the
 * target still holds what the same input wanted. A host someone changed on the target has another
 * fingerprint, and is sent and put back.
 *
 * Off (`open` answers undefined) for dry runs (which send every host and write nothing), for rules that use
 * a plugin's filters or tests or a template reading the clock or chance (rules.written undefined), and for
 * commands handed a file.
 */
export class ExportMemoRun {
  private readonly set: (ExportMemo & { hostname: string })[] = [];
  /** How many of the pages' hosts had a memo: fewer than the target has, and some are of hosts no longer exported. */
  private found = 0;
  /** How many memos this run adds for hosts that had none. */
  private added = 0;
  /** Pages taken apart ahead (prepare), until split takes them. */
  private readonly prepared = new WeakMap<EligiblePage, PageParts>();

  private constructor(
    private readonly repository: ExportMemoRepository,
    /** The memos' target: `<plugin>/<command>/<account>`. */
    readonly target: string,
    private readonly seeds: [bigint, bigint],
  ) {}

  static open(scope: RunScope, rules: TargetRules, repository: ExportMemoRepository): ExportMemoRun | undefined {
    const { plugin, command, account, request } = scope;
    const inputs = request.dryRun ? undefined : callInputs(plugin, command, account?.options ?? {}, account, rules);
    if (inputs === undefined) return undefined;
    const context = JSON.stringify({ format: MEMO_FORMAT, inputs });
    const digest = createHash("sha256").update(context).digest();
    return new ExportMemoRun(repository, `${plugin.ident}/${command}/${account?.name ?? ""}`, [digest.readBigUInt64LE(0), digest.readBigUInt64LE(8)]);
  }

  /** A host's input fingerprint: its JSON's bytes hashed twice (64 bits each), seeded with the run's context. */
  private inputOf(json: Uint8Array): string {
    return `${Bun.hash.wyhash(json, this.seeds[0]).toString(16)}.${Bun.hash.xxHash3(json, this.seeds[1]).toString(16)}`;
  }

  /**
   * Takes a stored page apart for split, before the target is read (StoredPagesAhead): all of split's work
   * that does not need the target's fingerprints, the hashing of the inputs above all.
   */
  prepare(stored: EligiblePage): void {
    this.prepared.set(stored, this.partsOf(stored));
  }

  private partsOf(stored: EligiblePage): PageParts {
    const hostnames = decoder.decode(stored.hostnames).split("\n");
    const sizes = stored.memos!.sizes.split(",");
    const memos = stored.memos!.memos.split(",");
    const jsons: Uint8Array[] = new Array(hostnames.length);
    const hashed: (string | undefined)[] = new Array(hostnames.length);
    // Hosts lie in `[…]` one after another, a comma between them.
    let at = 1;
    for (let index = 0; index < hostnames.length; index++) {
      const json = stored.json.subarray(at, at + Number(sizes[index]));
      at += json.length + 1;
      jsons[index] = json;
      if (memos[index] !== "") hashed[index] = this.inputOf(json);
    }
    return { hostnames, jsons, memos, hashed };
  }

  /**
   * Splits a stored page (read with this run's memos): a host goes to `unchanged` when its memo's input is this
   * one and `target` holds it owned with the memo's fingerprint; the others stay in the page, their JSON as stored.
   */
  split(stored: EligiblePage, target: TargetStateStore): MemoSplit {
    const { hostnames, jsons, memos, hashed } = this.prepared.get(stored) ?? this.partsOf(stored);
    this.prepared.delete(stored);
    const fingerprints = target.ownedFingerprints(hostnames);
    const unchanged: string[] = [];
    const inputs: MemoSplit["inputs"] = new Map();
    const parts: Uint8Array[] = [];
    const names: string[] = [];
    let bytes = 0;
    for (let index = 0; index < hostnames.length; index++) {
      const hostname = hostnames[index]!;
      const json = jsons[index]!;
      const memo = memos[index]!;
      const input = hashed[index];
      if (input !== undefined) {
        this.found++;
        const fingerprint = fingerprints.get(hostname);
        if (fingerprint !== undefined && memo.length === input.length + 1 + fingerprint.length && memo === `${input} ${fingerprint}`) {
          unchanged.push(hostname);
          continue;
        }
      }
      inputs.set(hostname, input === undefined ? { json, memo } : { json, memo, input });
      parts.push(json);
      names.push(hostname);
      bytes += json.length;
    }
    if (unchanged.length === 0) return { page: stored, unchanged, inputs };
    const json = new Uint8Array(bytes + Math.max(parts.length - 1, 0) + 2);
    json[0] = 0x5b;
    let to = 1;
    for (const part of parts) {
      if (to > 1) json[to++] = 0x2c;
      json.set(part, to);
      to += part.length;
    }
    json[to] = 0x5d;
    const page = { json, count: parts.length, hostnames: new TextEncoder().encode(names.join("\n")), last: stored.last };
    return { page, unchanged, inputs };
  }

  /** A page's results: each host created, updated or unchanged with a fingerprint is kept as its input wants it. */
  learn(results: readonly { hostname: string; status: string; fingerprint?: string }[], inputs: MemoSplit["inputs"]): void {
    for (const { hostname, status, fingerprint } of results) {
      if (fingerprint === undefined || (status !== "created" && status !== "updated" && status !== "unchanged")) continue;
      const sent = inputs.get(hostname);
      if (sent === undefined) continue;
      const input = (sent.input ??= this.inputOf(sent.json));
      if (sent.memo === `${input} ${fingerprint}`) continue;
      if (sent.memo === "") this.added++;
      this.set.push({ hostname, input, fingerprint });
    }
  }

  /** Writes what the run learnt; when the target has memos no page met, drops those of hosts no longer exported. */
  save(): void {
    this.repository.write(this.target, this.set);
    if (this.repository.count(this.target) > this.found + this.added) this.repository.prune(this.target);
  }
}
