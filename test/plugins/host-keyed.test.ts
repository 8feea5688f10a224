import { describe, expect, test } from "bun:test";
import { checkAnswer } from "../../src/plugins/answers.ts";
import { bytesOf, HostArray, HostKeyed, joinHostKeyed, jsonPieces, PageHostnames, parseHostKeyed, type Piece } from "../../src/plugins/host-keyed.ts";
import { InventoryMerger } from "../../src/runs/inventory.ts";

/**
 * The host-keyed form of inventory pages (src/plugins/host-keyed.ts): what the sandbox cuts out of an
 * answer, and that merging pages in that form gives exactly what merging the parsed pages gives.
 */

type Page = { hostnames: string[]; answer: unknown };

const encoder = new TextEncoder();

/** An answer's parts as one buffer, as the daemon receives them. */
const joined = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A page's hostnames as the daemon sends them to the sandbox. */
const pageHostnames = (names: string[]) => new PageHostnames(encoder.encode(names.join("\n")));

/** A page's answer as the sandbox sends it (checkAnswer "inventory-page") and the daemon reads it. */
function throughSandbox(page: Page): unknown {
  const checked = checkAnswer(encoder.encode(JSON.stringify(page.answer)), "fixture", "inventory", "inventory-page", pageHostnames(page.hostnames));
  if (!checked.ok) throw new Error(checked.error.message);
  return joinHostKeyed(joined(checked.payload), checked.facts.spliced ?? []);
}

/**
 * The merged document both ways: pages parsed as they are, and pages in the host-keyed form written out;
 * the host-keyed form parsed (what a terminal is shown) is the written one.
 */
function bothWays(pages: Page[]): { plain: unknown; spliced: unknown; pieces: Piece[] } {
  const plainMerger = new InventoryMerger();
  const plain = pages.map((page) => structuredClone(page.answer)).reduce((into, answer) => plainMerger.merge(into, answer));
  const merger = new InventoryMerger();
  const merged = pages.map(throughSandbox).reduce((into, answer) => merger.merge(into, answer));
  const pieces = [...jsonPieces(merged)];
  const text = pieces.map((piece) => (typeof piece === "string" ? piece : new TextDecoder().decode(bytesOf(piece)))).join("");
  expect(parseHostKeyed(merged)).toEqual(JSON.parse(text));
  return { plain, spliced: JSON.parse(text), pieces };
}

describe("the host-keyed form", () => {
  test("an object whose keys are all hostnames of the page, and an array of hostnames of the page, are cut out and travel as their members' text", () => {
    const answer = { _meta: { hostvars: { web01: { a: 1 }, web02: { b: "ü" } } }, all: { children: ["g"] }, g: { hosts: ["web01"] } };
    const checked = checkAnswer(encoder.encode(JSON.stringify(answer)), "fixture", "inventory", "inventory-page", pageHostnames(["web01", "web02"]));
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.facts.spliced).toEqual([
      { path: ["_meta", "hostvars"], bytes: encoder.encode('"web01":{"a":1},"web02":{"b":"ü"}').byteLength },
      { path: ["g", "hosts"], bytes: '"web01"'.length, array: true },
    ]);
    const value = joinHostKeyed(joined(checked.payload), checked.facts.spliced!) as { _meta: { hostvars: HostKeyed }; g: { hosts: HostArray } };
    expect(value._meta.hostvars).toBeInstanceOf(HostKeyed);
    expect(value.g.hosts).toBeInstanceOf(HostArray);
    expect(parseHostKeyed(value)).toEqual(answer);
  });

  test("pages with disjoint hosts merge as their parsed answers do, and their host-keyed texts are joined unparsed", () => {
    const page = (names: string[], extra: Record<string, unknown> = {}): Page => ({
      hostnames: names,
      answer: { _meta: { hostvars: Object.fromEntries(names.map((name) => [name, { site: "x", n: name.length }])) }, all: { children: ["ungrouped", "site_x"] }, site_x: { hosts: names }, ...extra },
    });
    const { plain, spliced, pieces } = bothWays([page(["a", "b"]), page(["c"]), page(["d", "e"], { flag: true })]);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    // Each page's hostvars and group members, unparsed.
    expect(pieces.filter((piece) => piece instanceof Uint8Array)).toHaveLength(6);
  });

  test("against an object that is not host-keyed, a host-keyed one is parsed and merged key by key, in either order", () => {
    // `hosts` is a hostname of the second page only: there its group object is host-keyed, elsewhere not.
    const pages: Page[] = [
      { hostnames: ["a"], answer: { g: { hosts: ["a"] }, v: { a: { x: 1 } } } },
      { hostnames: ["hosts"], answer: { g: { hosts: ["hosts"] }, v: { hosts: { x: 2 } } } },
      { hostnames: ["c"], answer: { g: { hosts: ["c"], extra: 1 }, v: { c: { x: 3 } } } },
    ];
    const { plain, spliced } = bothWays(pages);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    expect(spliced).toEqual({ g: { hosts: ["a", "hosts", "c"], extra: 1 }, v: { a: { x: 1 }, hosts: { x: 2 }, c: { x: 3 } } });
  });

  test("an empty object adds nothing; a scalar or an array at the same place wins as a later page", () => {
    const pages: Page[] = [
      { hostnames: ["a"], answer: { v: { a: 1 }, w: { a: 1 }, z: [1] } },
      { hostnames: [], answer: { v: {}, w: "replaced", z: {} } },
      { hostnames: ["b"], answer: { v: { b: 2 }, w: { b: 2 }, z: { b: 2 } } },
    ];
    const { plain, spliced } = bothWays(pages);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    expect(spliced).toEqual({ v: { a: 1, b: 2 }, w: { b: 2 }, z: { b: 2 } });
  });

  test("a whole answer, and objects inside arrays, may be host-keyed", () => {
    const root = bothWays([
      { hostnames: ["a"], answer: { a: { x: 1 } } },
      { hostnames: ["b"], answer: { b: { x: 2 } } },
    ]);
    expect(root.spliced).toEqual({ a: { x: 1 }, b: { x: 2 } });
    const inArray = bothWays([
      { hostnames: ["a"], answer: { list: [{ a: 1 }, "s"] } },
      { hostnames: ["b"], answer: { list: [{ b: 1 }] } },
    ]);
    expect(inArray.spliced).toEqual(inArray.plain as Record<string, unknown>);
  });

  test("an array with anything but hostnames of the page, or one twice, or none, is not cut; merged arrays repeat no string, as parsed pages do", () => {
    const pages: Page[] = [
      // "c" is a hostname of the third page: here it is only a string, and the third page's "c" is not written again.
      { hostnames: ["a", "b"], answer: { g: ["a", "b"], h: ["a", "x"], d: ["a", "a"], e: [], k: ["c", 1] } },
      { hostnames: ["c", "z"], answer: { g: ["c"], h: ["c"], d: ["c"], e: ["c"], k: ["c", "z"] } },
      { hostnames: ["q"], answer: { g: ["q"], h: ["x", "q"], d: ["q", "q"], e: ["q"], k: [1, "q"] } },
    ];
    const cut = (page: Page) => {
      const checked = checkAnswer(encoder.encode(JSON.stringify(page.answer)), "fixture", "inventory", "inventory-page", pageHostnames(page.hostnames));
      return checked.ok ? (checked.facts.spliced ?? []).map((spliced) => spliced.path.join(".")) : [];
    };
    expect(pages.map(cut)).toEqual([["g"], ["g", "h", "d", "e", "k"], ["g", "e"]]);
    const { plain, spliced } = bothWays(pages);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    expect(spliced).toEqual({ g: ["a", "b", "c", "q"], h: ["a", "x", "c", "q"], d: ["a", "a", "c", "q"], e: ["c", "q"], k: ["c", 1, "z", "q"] });
  });

  test("a host array of several hosts joined with a plain one (an empty page's) is the same array written and parsed", () => {
    const pages: Page[] = [
      { hostnames: ["a", "b"], answer: { ungrouped: { hosts: ["a", "b"] } } },
      { hostnames: [], answer: { ungrouped: { hosts: [] } } },
      { hostnames: ["c"], answer: { ungrouped: { hosts: ["c"] } } },
    ];
    const { plain, spliced } = bothWays(pages);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    expect(spliced).toEqual({ ungrouped: { hosts: ["a", "b", "c"] } });
  });

  test("a host array against something that is not an array: the later page wins, as parsed", () => {
    const pages: Page[] = [
      { hostnames: ["a"], answer: { g: ["a"], h: { x: 1 }, i: ["a"] } },
      { hostnames: ["b"], answer: { g: "none", h: ["b"], i: ["b"] } },
      { hostnames: ["c"], answer: { g: ["c"], i: null } },
    ];
    const { plain, spliced } = bothWays(pages);
    expect(spliced).toEqual(plain as Record<string, unknown>);
    expect(spliced).toEqual({ g: ["c"], h: ["b"], i: null });
  });

  test("an answer that is not JSON is an abi error naming the plugin and export, checked in the sandbox", () => {
    const checked = checkAnswer(encoder.encode('{"_meta": {'), "fixture", "inventory", "inventory-page", pageHostnames(["a"]));
    expect(checked).toMatchObject({ ok: false, error: { kind: "abi" } });
    if (!checked.ok) expect(checked.error.message).toStartWith("plugin fixture: inventory returned something that is not UTF-8 JSON");
  });
});
