import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileAnswerCache } from "../../src/db/answer-files.ts";
import { tempDir } from "../helpers/binary.ts";

/**
 * Kept answers as files (src/db/answer-files.ts): an answer reads back as it was kept, or not at all —
 * never short or garbled — and only this user reads it.
 */

const key = (n: number) => n.toString(16).padStart(64, "0");
const answer = (text: string) => ({ body: new TextEncoder().encode(text), facts: JSON.stringify([{ path: ["_meta", "hostvars"], bytes: text.length }]) });
const text = (kept: { body: Uint8Array } | undefined) => kept && new TextDecoder().decode(kept.body);

function cache() {
  const root = join(tempDir("syncer-answers-"), "answers");
  const store = new FileAnswerCache(root);
  const files = () => readdirSync(root).flatMap((scope) => readdirSync(join(root, scope)).map((name) => join(root, scope, name)));
  return { store, files };
}

describe("kept answers in files", () => {
  test("an answer reads back as kept, per scope; another key or scope has none; a second put replaces it", () => {
    const { store, files } = cache();
    store.put("ansible/inventory/", key(1), answer('"web01":{}'));
    expect(text(store.get("ansible/inventory/", key(1)))).toBe('"web01":{}');
    expect(store.get("ansible/inventory/", key(1))!.facts).toBe(answer('"web01":{}').facts);
    expect(store.get("ansible/inventory/", key(2))).toBeUndefined();
    expect(store.get("ansible/inventory/other", key(1))).toBeUndefined();
    store.put("ansible/inventory/", key(1), answer('"web02":{}'));
    expect(text(store.get("ansible/inventory/", key(1)))).toBe('"web02":{}');
    expect(files()).toHaveLength(1);
    expect(statSync(files()[0]!).mode & 0o777).toBe(0o600);
  });

  test("a file cut short or with a changed byte reads as missing", () => {
    const { store, files } = cache();
    store.put("s", key(1), answer('"web01":{"site":"berlin"}'));
    store.put("s", key(2), answer('"web02":{"site":"berlin"}'));
    const [first, second] = files().sort();
    truncateSync(first!, statSync(first!).size - 3);
    const bytes = readFileSync(second!);
    bytes[bytes.length - 4] = "X".charCodeAt(0);
    writeFileSync(second!, bytes);
    expect(store.get("s", key(1))).toBeUndefined();
    expect(store.get("s", key(2))).toBeUndefined();
  });

  test("keepOnly drops the scope's other answers, leaves other scopes and a file another process is writing, and a day-old partial file goes", () => {
    const { store, files } = cache();
    for (const n of [1, 2, 3]) store.put("s", key(n), answer(`"h${n}":{}`));
    store.put("t", key(9), answer('"h9":{}'));
    const folder = files().find((path) => path.endsWith(key(1)))!.replace(/\/[^/]+$/, "");
    writeFileSync(join(folder, `${key(4)}.77.partial`), "being written");
    writeFileSync(join(folder, `${key(5)}.78.partial`), "left by a crash");
    utimesSync(join(folder, `${key(5)}.78.partial`), new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));
    expect(store.keepOnly("s", [key(2)])).toBe(3);
    expect(text(store.get("s", key(2)))).toBe('"h2":{}');
    expect(store.get("s", key(1))).toBeUndefined();
    expect(text(store.get("t", key(9)))).toBe('"h9":{}');
    expect(readdirSync(folder).sort()).toEqual([key(2), `${key(4)}.77.partial`]);
  });

  test("a key that is no SHA-256 in hex names no file", () => {
    const { store } = cache();
    expect(() => store.put("s", "../../etc/passwd", answer("x"))).toThrow("SHA-256");
    expect(store.get("s", "../../etc/passwd")).toBeUndefined();
  });
});
