import { describe, expect, test } from "bun:test";
import { checkAnswer, checkedRecords } from "../../src/plugins/answers.ts";
import { canonicalHostPage } from "../../src/plugins/canonical-host-page.ts";
import { CanonicalReader, NOT_CANONICAL } from "../../src/plugins/canonical-json.ts";
import { PageHostnames, spliceCanonical, spliceHostKeyed } from "../../src/plugins/host-keyed.ts";

/**
 * Answers in canonical JSON (what JSON.stringify writes, and syncer's SDK) are checked on their bytes
 * (src/plugins/canonical-json.ts). Whatever that road accepts, it must give exactly what parsing the
 * answer and writing it again gives; whatever it doubts goes the slow road, with the same result.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);
const joined = (parts: Uint8Array[]) => decoder.decode(Buffer.concat(parts));

/** Whether the reader takes `text` as one canonical value, to its end. */
function canonical(text: string): boolean {
  const reader = new CanonicalReader(bytes(text));
  try {
    reader.value();
    return reader.atEnd;
  } catch (error) {
    if (error === NOT_CANONICAL) return false;
    throw error;
  }
}

describe("the canonical reader", () => {
  test("takes what JSON.stringify writes, whatever the values", () => {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -7,
      123456789012345,
      1.5,
      -0.25,
      1e21,
      5e-7,
      "",
      "plain",
      'quote " backslash \\ newline \n tab \t control \u0001 \u001f del \u007f',
      "ü ß € 😀 \u2028",
      [],
      {},
      [1, "a", [null, {}], { b: [true] }],
      { a: 1, b: { c: [1, 2, { d: "e" }] }, "k ü": "v", __proto__x: 1 },
    ];
    for (const value of values) expect([value, canonical(JSON.stringify(value))]).toEqual([value, true]);
  });

  test("doubts whatever JSON.stringify would write otherwise, or is not JSON", () => {
    const doubted = [
      ' {"a":1}',
      '{"a": 1}',
      "[1, 2]",
      '"\\/"',
      '"\\u0041"',
      '"\\u00e9"',
      '"\\ud83d\\ude00"',
      '"\\u000a"',
      '"\\u001F"',
      "1.0",
      "1e2",
      "1E21",
      "-0",
      "01",
      "12345678901234567",
      '{"a":1,"a":2}',
      '{"b":1,"1":2}',
      '{"7":1}',
      "tru",
      '"open',
      "[1,]",
      "\ufeff{}",
      '"\t"',
    ];
    for (const text of doubted) expect([text, canonical(text)]).toEqual([text, false]);
    // Bytes that are not UTF-8: overlong, a surrogate, past U+10FFFF, a lone continuation byte.
    for (const invalid of [[0x22, 0xc0, 0x80, 0x22], [0x22, 0xed, 0xa0, 0x80, 0x22], [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x80, 0x22]]) {
      const reader = new CanonicalReader(new Uint8Array(invalid));
      expect(() => reader.value()).toThrow(NOT_CANONICAL);
    }
  });

  test("finds a key twice among many (a hash table past sixteen keys) and at any depth", () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, index) => [`k${index}`, { inner: index }]));
    expect(canonical(JSON.stringify(many))).toBe(true);
    expect(canonical(JSON.stringify(many).replace('"k99"', '"k3"'))).toBe(false);
    expect(canonical(JSON.stringify({ a: many, b: many }))).toBe(true);
    expect(canonical(JSON.stringify({ a: { x: 1, y: { x: 2 } } }))).toBe(true);
  });
});

describe("an inventory page cut on its bytes", () => {
  const hostnames = (names: string[]) => new PageHostnames(bytes(names.join("\n")));
  /** The slow road's cut, from the parsed answer. */
  const parsedCut = (text: string, names: string[]) => {
    const { payload, spliced } = spliceHostKeyed(JSON.parse(text), new Set(names));
    return { payload: decoder.decode(payload), spliced };
  };

  test("gives the bytes and the parts the parsed answer gives", () => {
    const names = ["web01", "web02", "db ü"];
    const answers: unknown[] = [
      { _meta: { hostvars: { web01: { a: 1, s: "x\ny" }, web02: {}, "db ü": { n: [1, { web01: 1 }] } } }, all: { children: ["ungrouped", "g"] }, g: { hosts: ["web01", "db ü"] }, ungrouped: { hosts: [] } },
      { web01: 1, web02: 2 },
      ["web01", "web02"],
      { list: [{ web02: true }, ["web01", "web01"], ["web01", 1], ["x"]], nested: { deeper: { web01: { web02: 1 } } } },
      { empty: {}, none: [], mixed: { web01: 1, other: 2 } },
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer);
      const cut = spliceCanonical(bytes(text), hostnames(names));
      expect(cut).toBeDefined();
      expect({ payload: joined(cut!.payload), spliced: cut!.spliced }).toEqual(parsedCut(text, names));
    }
  });

  test("an answer that is not canonical takes the slow road to the same cut; one that is not JSON is an abi error", () => {
    const names = ["a", "b"];
    for (const text of ['{ "_meta": {"hostvars": {"a": {"x": 1.0}, "b": {}}}, "g": {"hosts": ["b"]}}', '{"h":{"a":1,"a":2},"g":["\\u0061"]}', '{"1":{"a":1},"x":{"b":"\\/"}}']) {
      expect(spliceCanonical(bytes(text), hostnames(names))).toBeUndefined();
      const checked = checkAnswer(bytes(text), "fixture", "inventory", "inventory-page", hostnames(names));
      if (!checked.ok) throw new Error(checked.error.message);
      expect({ payload: joined(checked.payload), spliced: checked.facts.spliced }).toEqual(parsedCut(text, names));
    }
    expect(checkAnswer(bytes("{nope"), "fixture", "inventory", "inventory-page", hostnames(names))).toMatchObject({ ok: false, error: { kind: "abi" } });
  });
});

describe("a host page checked on its bytes", () => {
  /** The records as the daemon reads them, each with what the schema knows of it. */
  const records = (output: Uint8Array[]) => checkedRecords(Buffer.concat(output)).map(({ hostname, labels, inventory, row }) => ({ hostname, labels, inventory, row }));
  const check = (text: string) => checkAnswer(bytes(text), "fixture", "import_hosts", "host-page");

  test("goes on as the answer's own array, a view of its bytes, with the cursor and what its hostnames need", () => {
    const page = { next: "c2", hosts: [{ hostname: "web01", labels: { site: "ber" }, row: 2, extra: { kept: true } }, { hostname: "Web02 ", inventory: { n: 1, b: false, s: null } }, { row: -3, hostname: "ü" }] };
    const text = JSON.stringify(page);
    const input = bytes(text);
    const fast = canonicalHostPage(input);
    expect(decoder.decode(fast.payload)).toBe(JSON.stringify(page.hosts));
    expect(fast.payload.buffer).toBe(input.buffer);
    expect({ cursor: fast.cursor, records: fast.records }).toEqual({ cursor: "c2", records: { trimmed: false, lowerCase: false, inventory: true } });
    const checked = check(text);
    if (!checked.ok) throw new Error(checked.error.message);
    expect(records(checked.payload)).toEqual([
      { hostname: "web01", labels: { site: "ber" }, inventory: undefined, row: 2 },
      { hostname: "Web02 ", labels: undefined, inventory: { n: 1, b: false, s: null }, row: undefined },
      { hostname: "ü", labels: undefined, inventory: undefined, row: -3 },
    ]);
    expect(canonicalHostPage(bytes(JSON.stringify({ hosts: [{ hostname: "a" }], next: null }))).records).toEqual({ trimmed: true, lowerCase: true, inventory: false });
  });

  test("whatever the bytes road doubts, the slow road checks and gives the same records and facts", () => {
    const pages = [
      '{"hosts": [{"hostname": "a", "labels": {"k": "v"}}], "next": null}',
      '{"hosts":[{"hostname":"a","labels":{"k":"\\u0076"}}],"next":null}',
      '{"hosts":[{"hostname":"a","row":2.0}],"next":"x"}',
      '{"hosts":[{"hostname":"A\\u0020","labels":{}}],"next":null}',
      '{"hosts":[{"hostname":"a","hostname":"b"}],"next":null}',
    ];
    for (const text of pages) {
      expect(() => canonicalHostPage(bytes(text))).toThrow(NOT_CANONICAL);
      const checked = check(text);
      if (!checked.ok) throw new Error(checked.error.message);
      const parsed = JSON.parse(text) as { hosts: { hostname: string; labels?: Record<string, string>; inventory?: Record<string, string | number | boolean | null>; row?: number }[]; next: string | null };
      expect(records(checked.payload)).toEqual(parsed.hosts.map(({ hostname, labels, inventory, row }) => ({ hostname, labels, inventory, row })));
      expect(checked.facts.cursor).toBe(parsed.next);
      expect(checked.facts.records).toEqual({
        trimmed: parsed.hosts.every((host) => host.hostname.trim() === host.hostname),
        lowerCase: parsed.hosts.every((host) => host.hostname.toLowerCase() === host.hostname),
        inventory: parsed.hosts.some((host) => host.inventory !== undefined),
      });
    }
  });

  test("a page saying it is partial (a delta) says so whichever road it takes; partial must be a boolean", () => {
    const fast = JSON.stringify({ hosts: [{ hostname: "a" }], next: null, partial: true });
    expect(canonicalHostPage(bytes(fast)).partial).toBe(true);
    expect(canonicalHostPage(bytes(JSON.stringify({ hosts: [], next: null, partial: false }))).partial).toBe(false);
    expect(canonicalHostPage(bytes(JSON.stringify({ hosts: [], next: null }))).partial).toBe(false);
    for (const text of [fast, '{"hosts": [{"hostname": "a"}], "next": null, "partial": true}', '{"partial":true,"hosts":[{"hostname":"a","row":1.0}],"next":null}']) {
      const checked = check(text);
      if (!checked.ok) throw new Error(checked.error.message);
      expect(checked.facts.partial).toBe(true);
    }
    const whole = check(JSON.stringify({ hosts: [], next: null, partial: false }));
    if (!whole.ok) throw new Error(whole.error.message);
    expect(whole.facts.partial).toBeUndefined();
    expect(check(JSON.stringify({ hosts: [], next: null, partial: "yes" }))).toMatchObject({ ok: false, error: { details: { answer: "page" } } });
  });

  test("records the schema refuses are refused whichever road they take, naming the record", () => {
    for (const text of [
      JSON.stringify({ hosts: [{ hostname: " " }], next: null }),
      JSON.stringify({ hosts: [{ hostname: "a", labels: { k: 1 } }], next: null }),
      JSON.stringify({ hosts: [{ hostname: "a", labels: { "": "v" } }], next: null }),
      JSON.stringify({ hosts: [{ hostname: "a", row: 1.5 }], next: null }),
      JSON.stringify({ hosts: [{ hostname: "a", inventory: { k: [1] } }], next: null }),
      JSON.stringify({ hosts: [{ hostname: "x".repeat(254) }], next: null }),
      '{"hosts":[{"hostname":"a","labels":{"__proto__":"v"}}],"next":null}',
    ]) {
      expect(() => canonicalHostPage(bytes(text))).toThrow(NOT_CANONICAL);
      expect(check(text)).toMatchObject({ ok: false, error: { kind: "abi", details: { answer: "record", index: 0 } } });
    }
    expect(check(JSON.stringify({ hosts: {}, next: null }))).toMatchObject({ ok: false, error: { details: { answer: "page" } } });
  });
});
