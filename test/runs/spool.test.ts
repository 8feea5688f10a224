import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { SyncerError } from "../../src/core/errors.ts";
import { Spool } from "../../src/runs/spool.ts";
import { tempDir } from "../helpers/binary.ts";

/** The spool an inventory's pages go to (src/runs/spool.ts): texts stored on disk and read back, in a file no directory lists. */
describe("a spool", () => {
  test("gives back what it stored, in any order, from a file that is gone from its directory at once", () => {
    const dir = tempDir("syncer-spool-test-");
    const spool = new Spool(dir);
    expect(readdirSync(dir)).toEqual([]);
    const encoder = new TextEncoder();
    const texts = ['"web01":{"a":1}', "", '"ü":"ß"', "x".repeat(300_000)];
    const stored = texts.map((text) => spool.store(encoder.encode(text)));
    expect(stored.map((text) => text.byteLength)).toEqual(texts.map((text) => encoder.encode(text).byteLength));
    expect(spool.byteLength).toBe(stored.reduce((sum, text) => sum + text.byteLength, 0));
    for (const index of [3, 0, 2, 1, 0]) expect(new TextDecoder().decode(stored[index]!.read())).toBe(texts[index]!);
    expect(readdirSync(dir)).toEqual([]);
    spool.close();
    spool.close();
    expect(() => stored[0]!.read()).toThrow(SyncerError);
  });

  test("a directory it cannot write in is an io error naming it", () => {
    expect(() => new Spool("/nonexistent/syncer")).toThrow(expect.objectContaining({ kind: "io", message: expect.stringContaining("/nonexistent/syncer") }));
  });
});
