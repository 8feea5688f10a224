import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeSystemError, SyncerError } from "../core/errors.ts";
import type { StoredText } from "../plugins/host-keyed.ts";

/**
 * Where temporary files go: $TMPDIR, else /var/tmp (on disk where /tmp may be memory), else the
 * system's. SQLite puts a run's staging in the same places ($SQLITE_TMPDIR first).
 */
export function temporaryDirectory(): string {
  if (process.env.TMPDIR) return process.env.TMPDIR;
  return existsSync("/var/tmp") ? "/var/tmp" : tmpdir();
}

/**
 * Texts stored away from memory until they are written out: one file in the temporary directory,
 * removed from the directory as soon as it is opened. Only this process reaches it, and nothing is
 * left behind, even when the process is killed; close() gives its space back.
 */
export class Spool {
  private readonly fd: number;
  private size = 0;
  private closed = false;

  constructor(directory = temporaryDirectory()) {
    try {
      const dir = mkdtempSync(join(directory, "syncer-spool-"));
      const path = join(dir, "spool");
      this.fd = openSync(path, "w+", 0o600);
      unlinkSync(path);
      rmdirSync(dir);
    } catch (error) {
      throw new SyncerError("io", `cannot make a temporary file in ${directory}: ${describeSystemError(error)} (set TMPDIR to a writable directory)`);
    }
  }

  /** Stores a copy of `bytes`; what gives them back. */
  store(bytes: Uint8Array): StoredText {
    if (this.closed) throw new SyncerError("internal", "the spool was used after it was closed");
    const at = this.size;
    try {
      for (let written = 0; written < bytes.byteLength; ) written += writeSync(this.fd, bytes, written, bytes.byteLength - written, at + written);
    } catch (error) {
      throw new SyncerError("io", `cannot write a temporary file in ${temporaryDirectory()}: ${describeSystemError(error)}`);
    }
    this.size += bytes.byteLength;
    const { fd } = this;
    const length = bytes.byteLength;
    const spool = this;
    const readInto = (into: Uint8Array, offset: number) => {
      if (spool.closed) throw new SyncerError("internal", "the spool was read after it was closed");
      if (offset + into.byteLength > length) throw new SyncerError("internal", "a read past the end of a stored text");
      for (let read = 0; read < into.byteLength; ) {
        const got = readSync(fd, into, read, into.byteLength - read, at + offset + read);
        if (got === 0) throw new SyncerError("internal", "the spool ended early");
        read += got;
      }
    };
    return {
      byteLength: length,
      read(): Uint8Array {
        const out = new Uint8Array(length);
        readInto(out, 0);
        return out;
      },
      readInto,
    };
  }

  /** Bytes stored so far. */
  get byteLength(): number {
    return this.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
