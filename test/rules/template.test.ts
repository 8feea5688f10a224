/**
 * Templates: LiquidJS's language, sandboxed. Templates of text and outputs run as closures over the
 * parsed template; they must render exactly what LiquidJS renders, which this file checks on a corpus.
 */
import { describe, expect, test } from "bun:test";
import { Liquid } from "liquidjs";
import { join } from "node:path";
import { compileTemplate, TemplateError } from "../../src/rules/template.ts";
import { tempDir } from "../helpers/binary.ts";

const reference = new Liquid({ strictFilters: true, ownPropertyOnly: true });

const scopes = [
  { hostname: "web01.Berlin.example.com", account: "cmdb", labels: { site: "berlin", role: "web", "a b": "spaced", list: "x, y ,z", n: "7" }, inventory: { cmdb__ram: 16, cmdb__virtual: false, cmdb__none: null }, outcomes: { folder: "/b", attributes: { tag: "t" } } },
  { hostname: "db01", account: null, labels: {}, inventory: {}, outcomes: {} },
  { hostname: "", account: "x", labels: { site: "", role: "DB" }, inventory: { cmdb__ram: 0 }, outcomes: { groups: ["a", "b"] } },
];

const direct = [
  "plain text",
  "{{ hostname }}",
  "/{{ labels.site }}/{{ labels.role | default: 'misc' }}",
  "{{ labels.site | upcase }}-{{ labels.role | downcase | capitalize }}",
  "{{ labels['a b'] }}{{ labels.missing }}{{ nothing.at.all }}",
  "{{ hostname | split: '.' | first }}",
  "{{ hostname | split: '.' | last | upcase }}",
  "{{ hostname | replace: 'example', 'test' | remove_first: 'web' }}",
  "{{ labels.list | split: ',' | size }}",
  "{{ inventory.cmdb__ram | plus: 1 }} {{ inventory.cmdb__ram | times: 2 | minus: 3 }}",
  "{{ inventory.cmdb__virtual }} {{ inventory.cmdb__none }} {{ inventory.cmdb__none | default: 'none' }}",
  "{{ inventory.cmdb__virtual | default: 'x' }} {{ inventory.cmdb__virtual | default: 'x', allow_false: true }}",
  "{{ outcomes.folder | append: '/web' }}{{ outcomes.attributes.tag }}{{ outcomes.groups | join: ',' }}",
  "{{ outcomes.groups.first }}{{ outcomes.groups.size }}{{ labels.size }}{{ hostname.size }}",
  "{{ labels.n | plus: 0 | modulo: 4 }}",
  "{{ 'literal' }} {{ 3 }} {{ true }} {{ nil }} {{ empty }}",
  "{{ labels.site | slice: 0, 3 }}{{ labels.site | truncate: 4 }}",
  "{{ hostname | size }} {{ hostname | strip | prepend: '>' }}",
  "{{ labels.constructor }}{{ labels.toString }}{{ labels.__proto__ }}",
  "{{ labels[labels.role] }}",
  "{{ account | default: 'manual' }}",
  "{{ outcomes.groups | where_exp: 'g', \"g == 'a'\" | join: ',' }}{{ outcomes.groups | where_exp: 'g', 'g == labels.role' | size }}",
];

const throughLiquid = [
  "{% if labels.site == 'berlin' %}B{% else %}other{% endif %}",
  "{% for item in outcomes.groups %}[{{ item }}]{% endfor %}",
  "{% assign x = labels.role | downcase %}{{ x }}",
  "{{ labels.site == 'berlin' }}",
  "{{ (1..3) | join: '-' }}",
];

describe("templates render as LiquidJS renders them", () => {
  test.each(direct)("as closures: %s", (source) => {
    const template = compileTemplate(source);
    expect(template.direct).toBe(true);
    for (const scope of scopes) expect(template.render(scope)).toBe(reference.parseAndRenderSync(source, scope));
  });

  test.each(throughLiquid)("through LiquidJS (tags, operators, ranges): %s", (source) => {
    const template = compileTemplate(source);
    expect(template.direct).toBe(false);
    for (const scope of scopes) expect(template.render(scope)).toBe(reference.parseAndRenderSync(source, scope));
  });
});

test("templates run as closures in the compiled binary too: minified, as build.ts builds it", async () => {
  const outdir = tempDir("syncer-template-minified-");
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, "..", "..", "src", "rules", "template.ts")], outdir, target: "bun", minify: true });
  expect(built.success).toBe(true);
  const minified = (await import(built.outputs[0]!.path)) as typeof import("../../src/rules/template.ts");
  for (const source of direct) expect([source, minified.compileTemplate(source).direct]).toEqual([source, true]);
});

describe("templates are sandboxed and bounded", () => {
  test("no value's prototype is reachable", () => {
    expect(compileTemplate("{{ labels.constructor.name }}{{ hostname.constructor }}").render(scopes[0]!)).toBe("");
  });

  test("a loop that would allocate without end fails the render, not the process", () => {
    const template = compileTemplate("{% for i in (1..1000000000) %}x{% endfor %}");
    expect(() => template.render({})).toThrow(TemplateError);
    expect(() => template.render({})).toThrow("memory alloc limit exceeded");
  });

  test("what a template of closures allocates counts per render: one over the limit fails, many under it do not add up", () => {
    const template = compileTemplate("{{ labels.site | escape }}");
    expect(template.direct).toBe(true);
    const large = { labels: { site: "x".repeat(600_000) } };
    for (let render = 0; render < 3; render++) expect(template.render(large)).toHaveLength(600_000);
    expect(() => template.render({ labels: { site: "x".repeat(1_000_001) } })).toThrow("memory alloc limit exceeded");
    expect(template.render({ labels: { site: "<b>" } })).toBe("&lt;b&gt;");
  });

  test("a filter that fails on a value is a TemplateError with LiquidJS's reason", () => {
    const template = compileTemplate("{{ labels.site | url_decode }}");
    expect(template.direct).toBe(true);
    expect(template.render({ labels: { site: "a%20b" } })).toBe("a b");
    expect(() => template.render({ labels: { site: "%E0%A4%A" } })).toThrow(TemplateError);
    expect(() => template.render({ labels: { site: "%E0%A4%A" } })).toThrow("URI error");
  });
});

describe("templates that may render otherwise for the same host at another time", () => {
  test("a date filter (the clock for 'now', the time zone) or sample (chance) marks a template unstable, in outputs and in tags; anything else does not", () => {
    for (const source of ["{{ 'now' | date: '%Y' }}", "{{ labels.built | date_to_xmlschema }}", "{% assign t = 'today' | date: '%s' %}{{ t }}", "{% if labels.x %}{{ labels.list | split: ',' | sample }}{% endif %}", "{{labels.y|date:'%d'}}"]) {
      expect([source, compileTemplate(source).unstable]).toEqual([source, true]);
    }
    for (const source of ["{{ labels.update_date }}", "{{ hostname | upcase }}", "{% if labels.sample %}{{ labels.date }}{% endif %}", "{{ labels.site | default: 'date' }}"]) {
      expect([source, compileTemplate(source).unstable]).toEqual([source, false]);
    }
  });
});
