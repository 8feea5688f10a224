import { createHash } from "node:crypto";
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describeSystemError, SyncerError } from "../core/errors.ts";
import type { AnswerCacheRepository, CachedAnswer } from "./answer-cache.ts";

/** A key is a SHA-256 in hex (runs/answer-cache.ts); anything else names no file of the cache. */
const KEY = /^[0-9a-f]{64}$/;

/** The header of a kept answer's file: the facts' length (4 bytes), the hash of facts and body (8 bytes). */
const HEADER = 12;
/** How long a partial file (being written, or left by a crash) is left alone. */
const PARTIAL_KEPT_MS = 24 * 60 * 60 * 1000;

/** The hash in a file's header: of the body, seeded with that of the facts (wyhash; it finds a torn or garbled file, it does not fend off a forger). */
const contentHash = (facts: Uint8Array, body: Uint8Array): bigint => BigInt.asUintN(64, BigInt(Bun.hash.wyhash(body, Bun.hash.wyhash(facts))));

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Kept answers as files, one folder per scope under `<data_dir>/answers/`, a file per key: a header (the
 * facts' length, 4 bytes; a hash of what follows, 8 bytes: contentHash), the facts (JSON), the body. Files rather than
 * database rows: an inventory keeps tens of megabytes at once, which SQLite writes twice (its log, then the
 * database, about 20x the time of a file) and a backup would copy, and none of it needs a transaction. A
 * file appears under its key whole (written beside, then renamed) and is readable by this user only; one
 * a crash left short or garbled fails its hash and reads as missing. Files no render used are dropped;
 * losing the folder loses nothing but time. Every storage backend may keep its answers here: they are
 * local to the machine that computed them.
 */
export class FileAnswerCache implements AnswerCacheRepository {
  constructor(private readonly root: string) {}

  /** A scope's folder: the scope's own hash, since scopes are names (accounts) that need not be file names. */
  private folder(scope: string): string {
    return join(this.root, createHash("sha256").update(scope).digest("hex").slice(0, 32));
  }

  /**
   * Where files are read: one buffer, grown when a file is larger, whose views get hands out. A page's answer is
   * about a megabyte, and each fresh megabyte costs the kernel 256 page faults; reused, it costs none.
   */
  private buffer = new Uint8Array(0);

  get(scope: string, key: string): CachedAnswer | undefined {
    if (!KEY.test(key)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = this.read(join(this.folder(scope), key));
    } catch {
      return undefined;
    }
    if (bytes.byteLength < HEADER) return undefined;
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
    const factsLength = header.getUint32(0);
    if (HEADER + factsLength > bytes.byteLength) return undefined;
    const facts = bytes.subarray(HEADER, HEADER + factsLength);
    const body = bytes.subarray(HEADER + factsLength);
    if (header.getBigUint64(4) !== contentHash(facts, body)) return undefined;
    return { facts: decoder.decode(facts), body };
  }

  /** A file's bytes, in the reused buffer. */
  private read(path: string): Uint8Array {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      if (this.buffer.byteLength < size) this.buffer = new Uint8Array(Math.max(size, this.buffer.byteLength * 2));
      let read = 0;
      for (let got = 1; read < size && got > 0; read += got) got = readSync(fd, this.buffer, read, size - read, read);
      return this.buffer.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }

  put(scope: string, key: string, answer: CachedAnswer): void {
    if (!KEY.test(key)) throw new SyncerError("internal", `an answer's key is a SHA-256 in hex, not ${JSON.stringify(key)}`);
    const folder = this.folder(scope);
    const path = join(folder, key);
    const partial = `${path}.${process.pid}.partial`;
    const facts = encoder.encode(answer.facts);
    const header = new Uint8Array(HEADER);
    const view = new DataView(header.buffer);
    view.setUint32(0, facts.byteLength);
    view.setBigUint64(4, contentHash(facts, answer.body));
    try {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const fd = openSync(partial, "w", 0o600);
      try {
        for (const part of [header, facts, answer.body]) for (let written = 0; written < part.byteLength; ) written += writeSync(fd, part, written);
      } finally {
        closeSync(fd);
      }
      renameSync(partial, path);
    } catch (error) {
      try {
        rmSync(partial, { force: true });
      } catch {
        // Nothing was written there (its folder is no folder, say): the error below says why.
      }
      throw new SyncerError("io", `cannot keep an inventory page's answer in ${folder}: ${describeSystemError(error)}`);
    }
  }

  keepOnly(scope: string, keys: readonly string[]): number {
    const folder = this.folder(scope);
    const kept = new Set(keys);
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return 0;
    }
    let dropped = 0;
    for (const name of names) {
      // Another process's file being written is left to it; one a crash left behind goes after a day.
      const stale = name.endsWith(".partial") && Date.now() - (statSync(join(folder, name), { throwIfNoEntry: false })?.mtimeMs ?? 0) > PARTIAL_KEPT_MS;
      if (kept.has(name) || (!KEY.test(name) && !stale)) continue;
      rmSync(join(folder, name), { force: true });
      dropped++;
    }
    return dropped;
  }
}
