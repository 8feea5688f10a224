/**
 * Explain: every rule of the target in order, each condition with matched or not and the value it saw,
 * which keys each matching rule set, and the final attributes and outcomes.
 */
import { expect, test } from "bun:test";
import { host, ruleBook } from "../helpers/rules.ts";

const book = ruleBook(`
[[rules]]
name = "berlin web servers"
target = "checkmk"
conditions = [
  { label = "site", match = "equal", value = "berlin" },
  { hostname = true, match = "swith", value = "web" },
]
set = { folder = "/berlin/web" }

[[rules]]
name = "databases"
match = "any"
conditions = [{ label = "role", match = "equal", value = "db" }, { label = "env", match = "ignore", negate = true }]
set = { tier = "backend" }
last_match = true

[[rules]]
name = "never reached"
match = "anyway"
set = { tier = "other" }
`);

test("the explanation of a host: rules in order, conditions with what they saw, what was set, the result", () => {
  const explanation = book.forTarget("checkmk").explain(host("web01", { site: "Berlin", role: "web" }));
  expect(explanation).toEqual({
    hostname: "web01",
    target: { name: "checkmk", plugin: "checkmk" },
    rules: [
      {
        name: "berlin web servers",
        at: "/etc/syncer/sync.config.toml:2:1",
        target: "checkmk",
        match: "all",
        last_match: false,
        evaluated: true,
        matched: true,
        conditions: [
          { condition: 'label site equal "berlin"', seen: "Berlin", matched: true },
          { condition: 'hostname swith "web"', seen: "web01", matched: true },
        ],
        set: { folder: "/berlin/web" },
      },
      {
        name: "databases",
        at: "/etc/syncer/sync.config.toml:11:1",
        target: "*",
        match: "any",
        last_match: true,
        evaluated: true,
        matched: true,
        conditions: [
          { condition: 'label role equal "db"', seen: "web", matched: false },
          { condition: "label env not ignore", seen: null, matched: true },
        ],
        set: { tier: "backend" },
      },
      { name: "never reached", at: "/etc/syncer/sync.config.toml:18:1", target: "*", match: "anyway", last_match: false, evaluated: false, matched: false, conditions: [] },
    ],
    result: { ignored: false, labels: { site: "Berlin", role: "web", tier: "backend" }, inventory: {}, outcomes: { folder: "/berlin/web" } },
  });
});

test("a rule that does not match shows the condition that failed and sets nothing", () => {
  const explanation = book.forTarget("csv").explain(host("db01", { role: "db", env: "prod" }));
  expect(explanation.rules.map((rule) => rule.name)).toEqual(["databases", "never reached"]);
  expect(explanation.rules[0]).toMatchObject({ matched: true, set: { tier: "backend" } });
  expect(explanation.rules[0]!.conditions[1]).toEqual({ condition: "label env not ignore", seen: "prod", matched: false });
  expect(explanation.rules[1]!.evaluated).toBe(false);
});

test("the explanation agrees with the evaluation for every host", () => {
  const hosts = [host("web01", { site: "berlin" }), host("db01", { role: "DB" }), host("x", { env: "dev" }), host("web02", { site: "paris", env: "x" })];
  for (const target of ["checkmk", "csv", "ansible"]) {
    const rules = book.forTarget(target);
    for (const one of hosts) {
      const evaluated = rules.evaluate(one);
      if (!evaluated.ok) throw new Error(evaluated.message);
      const { result } = rules.explain(one);
      expect(result).toEqual({ ignored: evaluated.ignored, labels: evaluated.host.labels, inventory: evaluated.host.inventory, outcomes: evaluated.host.outcomes });
    }
  }
});

test("a failed template is shown at its rule, and later rules are not evaluated", () => {
  const failing = ruleBook(`
[[rules]]
name = "broken"
match = "anyway"
set = { n = "{% for i in (1..100000000) %}x{% endfor %}" }
[[rules]]
name = "after"
match = "anyway"
set = { m = "1" }
`);
  const explanation = failing.forTarget("csv").explain(host("h"));
  expect(explanation.error).toMatch(/^rule "broken" \(.*:2:1\) failed for host h: memory alloc limit exceeded/);
  expect(explanation.rules[0]!.error).toBe(explanation.error!);
  expect(explanation.rules[1]!.evaluated).toBe(false);
  expect(explanation.result).toBeUndefined();
});

test("rules skipped at once for their equal conditions are exactly those that could not match", () => {
  // Guarded rules (all, with an equal), unguarded ones, and every kind of host value in between.
  const sites = ["berlin", "Paris", "ROME"];
  const written = sites
    .flatMap((site, i) => [
      `[[rules]]\nname = "site ${site}"\nconditions = [{ label = "role", match = "in", value = "e" }, { label = "site", match = "equal", value = "${site}" }]\nset = { n${i} = "${site}", last = "${site}" }\n`,
      `[[rules]]\nname = "not ${site}"\nconditions = [{ label = "site", match = "equal", value = "${site}", negate = true }]\nset = { last = "not ${site}" }\n`,
      `[[rules]]\nname = "any ${site}"\nmatch = "any"\nconditions = [{ label = "site", match = "equal", value = "${site}" }, { hostname = true, match = "swith", value = "x" }]\nset = { any${i} = "yes" }\n`,
      `[[rules]]\nname = "ram ${i}"\nconditions = [{ inventory = "cmdb__ram", match = "equal", value = ${i * 8} }]\nset = { ram = "${i * 8}" }\n`,
    ])
    .join("\n");
  const rules = ruleBook(written).forTarget("csv");
  const values = [undefined, "berlin", "BERLIN", "paris", "rome", "oslo", ""];
  for (const [i, site] of values.entries()) {
    for (const role of ["web", "db", undefined]) {
      const one = host(`${i % 2 ? "x" : "y"}${i}`, { ...(site === undefined ? {} : { site }), ...(role ? { role } : {}) }, { cmdb__ram: (i % 3) * 8 });
      const evaluated = rules.evaluate(one);
      if (!evaluated.ok) throw new Error(evaluated.message);
      expect(rules.explain(one).result!.labels).toEqual(evaluated.host.labels);
    }
  }
  expect(rules.evaluate(host("a", { site: "Berlin", role: "web" }, { cmdb__ram: 8 }))).toMatchObject({ host: { labels: { n0: "berlin", last: "not ROME", any0: "yes", ram: "8" } } });
});
