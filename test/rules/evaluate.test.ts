/**
 * Rules per target: file order, every matching rule contributing what it sets (later keys overwrite),
 * last_match stopping, all/any/anyway; outcomes where the target's plugin declares them, attributes
 * elsewhere; the target's filter and rewrites; templates with the host in scope; a failed template
 * failing only that host.
 */
import { describe, expect, test } from "bun:test";
import type { HostOutcome } from "../../src/rules/evaluate.ts";
import { host, ruleBook } from "../helpers/rules.ts";

const berlinWeb = host("web01.berlin", { site: "berlin", role: "web" }, { cmdb__os: "debian" });
const parisDb = host("db01.paris", { site: "paris", role: "db" }, { cmdb__os: "rhel" });

function ok(outcome: HostOutcome) {
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome;
}

describe("which rules match and what they set", () => {
  const book = ruleBook(`
[[rules]]
name = "berlin web servers"
conditions = [
  { label = "site", match = "equal", value = "berlin" },
  { hostname = true, match = "swith", value = "web" },
]
set = { tier = "frontend", zone = "dmz" }

[[rules]]
name = "berlin or databases"
match = "any"
conditions = [
  { label = "site", match = "equal", value = "berlin" },
  { label = "role", match = "equal", value = "db" },
]
set = { zone = "internal" }

[[rules]]
name = "everyone"
match = "anyway"
set = { managed = "yes" }
`);
  const csv = book.forTarget("csv");

  test("all needs every condition; any one of them; anyway none", () => {
    expect(ok(csv.evaluate(berlinWeb)).host.labels).toEqual({ site: "berlin", role: "web", tier: "frontend", zone: "internal", managed: "yes" });
    expect(ok(csv.evaluate(parisDb)).host.labels).toEqual({ site: "paris", role: "db", zone: "internal", managed: "yes" });
    expect(ok(csv.evaluate(host("mail01", { site: "rome" }))).host.labels).toEqual({ site: "rome", managed: "yes" });
  });

  test("later rules overwrite the keys earlier ones set, in file order", () => {
    // "berlin web servers" set zone = dmz, "berlin or databases" after it set internal.
    expect(ok(csv.evaluate(berlinWeb)).host.labels.zone).toBe("internal");
  });

  test("the host's own data is not changed", () => {
    csv.evaluate(berlinWeb);
    expect(berlinWeb.labels).toEqual({ site: "berlin", role: "web" });
  });
});

test("rules picked by the host's value (equal, in_list, any of them) match exactly as rules looked at one by one", () => {
  const book = ruleBook(`
[[rules]]
name = "db or web"
conditions = [{ label = "role", match = "in_list", value = ["db", " Web"] }, { label = "site", match = "equal", value = "berlin" }]
set = { a = "1" }

[[rules]]
name = "paris or cache"
match = "any"
conditions = [{ label = "site", match = "equal", value = "paris" }, { label = "role", match = "in_list", value = "cache, proxy" }]
set = { b = "1" }

[[rules]]
name = "spaced value"
conditions = [{ label = "role", match = "equal", value = "web " }]
set = { c = "1" }
`);
  const labels = (site: string, role: string) => ok(book.forTarget("csv").evaluate(host("h", { site, role }))).host.labels;
  // in_list trims the host's value; equal compares it as it is.
  expect(labels("BERLIN", " web\u00a0")).toEqual({ site: "BERLIN", role: " web\u00a0", a: "1" });
  expect(labels("berlin", "web ")).toEqual({ site: "berlin", role: "web ", a: "1", c: "1" });
  expect(labels("berlin", "mail")).toEqual({ site: "berlin", role: "mail" });
  expect(labels("Paris", "mail")).toEqual({ site: "Paris", role: "mail", b: "1" });
  expect(labels("rome", "Proxy")).toEqual({ site: "rome", role: "Proxy", b: "1" });
  expect(labels("rome", "web")).toEqual({ site: "rome", role: "web" });
});

test("last_match stops the target's evaluation after the rule matched, and only then", () => {
  const book = ruleBook(`
[[rules]]
name = "web"
last_match = true
conditions = [{ label = "role", match = "equal", value = "web" }]
set = { tier = "frontend" }

[[rules]]
name = "default tier"
match = "anyway"
set = { tier = "backend", seen = "yes" }
`);
  expect(ok(book.forTarget("csv").evaluate(berlinWeb)).host.labels).toMatchObject({ tier: "frontend" });
  expect(ok(book.forTarget("csv").evaluate(berlinWeb)).host.labels.seen).toBeUndefined();
  expect(ok(book.forTarget("csv").evaluate(parisDb)).host.labels).toMatchObject({ tier: "backend", seen: "yes" });
});

describe("targets", () => {
  const book = ruleBook(`
[accounts.cmk_berlin]
plugin = "checkmk"
[accounts.cmk_paris]
plugin = "checkmk"

[[rules]]
name = "for everyone"
match = "anyway"
set = { tier = "web", folder = "/all" }

[[rules]]
name = "checkmk folders"
target = "checkmk"
match = "anyway"
set = { folder = "/{{ labels.site }}", attributes.tag_agent = "cmk-agent", labels.os = "{{ inventory.cmdb__os }}" }

[[rules]]
name = "only the berlin site"
target = "cmk_berlin"
match = "anyway"
set = { site = "berlin-site" }

[[rules]]
name = "ansible groups and variables"
target = "ansible"
match = "anyway"
set = { groups = ["{{ labels.role }}", "all_{{ labels.site }}"], http_port = 8080 }
`);

  test("a rule applies to every target (*), to one plugin's, or to one account's", () => {
    expect(book.forTarget("csv").rules.map((rule) => rule.name)).toEqual(["for everyone"]);
    expect(book.forTarget("checkmk", "cmk_berlin").rules.map((rule) => rule.name)).toEqual(["for everyone", "checkmk folders", "only the berlin site"]);
    expect(book.forTarget("checkmk", "cmk_paris").rules.map((rule) => rule.name)).toEqual(["for everyone", "checkmk folders"]);
  });

  test("keys the plugin declares are outcomes there; the others are attributes, added to the labels", () => {
    const checkmk = ok(book.forTarget("checkmk", "cmk_berlin").evaluate(berlinWeb)).host;
    expect(checkmk.outcomes).toEqual({ folder: "/berlin", attributes: { tag_agent: "cmk-agent" }, labels: { os: "debian" }, site: "berlin-site" });
    expect(checkmk.labels).toEqual({ site: "berlin", role: "web", tier: "web" });
    // csv declares no outcomes: folder is an attribute there.
    const csv = ok(book.forTarget("csv").evaluate(berlinWeb)).host;
    expect(csv.outcomes).toEqual({});
    expect(csv.labels).toEqual({ site: "berlin", role: "web", tier: "web", folder: "/all" });
  });

  test("ansible: groups is an outcome (a list), other keys are host variables, as text like every label", () => {
    const ansible = ok(book.forTarget("ansible").evaluate(berlinWeb)).host;
    expect(ansible.outcomes).toEqual({ groups: ["web", "all_berlin"] });
    expect(ansible.labels).toMatchObject({ http_port: "8080", folder: "/all", tier: "web" });
  });

  test("ignore_host drops the host from the target it is set for", () => {
    const ignoring = ruleBook(`
[[rules]]
name = "no databases in checkmk"
target = "checkmk"
conditions = [{ label = "role", match = "equal", value = "db" }]
set = { ignore_host = true }
`);
    expect(ok(ignoring.forTarget("checkmk").evaluate(parisDb)).ignored).toBe(true);
    expect(ok(ignoring.forTarget("checkmk").evaluate(berlinWeb)).ignored).toBe(false);
    expect(ok(ignoring.forTarget("ansible").evaluate(parisDb)).ignored).toBe(false);
  });
});

describe("templates", () => {
  test("see the hostname, labels, inventory, account, the target and what earlier rules set", () => {
    const book = ruleBook(`
[[rules]]
name = "folder"
target = "checkmk"
match = "anyway"
set = { folder = "/{{ labels.site | upcase }}/{{ labels.rack | default: 'misc' }}" }

[[rules]]
name = "describe"
match = "anyway"
set = { summary = "{{ hostname }} of {{ account }} for {{ target }} in {{ outcomes.folder }} ({{ inventory.cmdb__os }})", again = "{{ attributes.summary }}" }
`);
    const result = ok(book.forTarget("checkmk").evaluate(berlinWeb)).host;
    expect(result.outcomes.folder).toBe("/BERLIN/misc");
    expect(result.labels.summary).toBe("web01.berlin of cmdb for checkmk in /BERLIN/misc (debian)");
    // Within one rule, keys are set in order: `again` sees `summary`.
    expect(result.labels.again).toBe(result.labels.summary!);
  });

  test("a template that fails names the rule and the host, and fails only that host", () => {
    const book = ruleBook(`
[[rules]]
name = "sizes"
match = "anyway"
set = { size = "{% for i in (1..labels.count) %}x{% endfor %}" }
`);
    const target = book.forTarget("csv");
    expect(ok(target.evaluate(host("small", { count: "3" }))).host.labels.size).toBe("xxx");
    const failed = target.evaluate(host("huge", { count: "100000000" }));
    expect(failed).toEqual({ ok: false, hostname: "huge", message: expect.stringMatching(/^rule "sizes" \(\/etc\/syncer\/sync\.config\.toml:\d+:\d+\) failed for host huge: memory alloc limit exceeded/) });
    expect(target.evaluate(host("small again", { count: "1" })).ok).toBe(true);
  });
});

describe("per target: the filter and the rewrites", () => {
  const book = ruleBook(`
[[rules]]
name = "tier"
match = "anyway"
set = { tier = "frontend" }

[targets.checkmk]
filter = ["site", "cmdb__*"]

[targets.ansible]
rewrite = [
  { attribute = "site", name = "location", value = "{{ value | capitalize }}" },
  { attribute = "cmdb__*", name = "{{ name | remove_first: 'cmdb__' }}" },
  { attribute = "fqdn", split = { separator = ".", index = 0 } },
]
`);
  const server = host("web01", { site: "berlin", role: "web", fqdn: "web01.berlin.example.com" }, { cmdb__os: "debian", hw__serial: "X1" });

  test("only the attributes the filter lists leave (names and prefix*); attributes rules set always do", () => {
    const checkmk = ok(book.forTarget("checkmk").evaluate(server)).host;
    expect(checkmk.labels).toEqual({ site: "berlin", tier: "frontend" });
    expect(checkmk.inventory).toEqual({ cmdb__os: "debian" });
  });

  test("a target without a filter gets every attribute", () => {
    expect(ok(book.forTarget("csv").evaluate(server)).host.inventory).toEqual({ cmdb__os: "debian", hw__serial: "X1" });
  });

  test("rewrites rename attributes and change their values: string, template, split", () => {
    const ansible = ok(book.forTarget("ansible").evaluate(server)).host;
    expect(ansible.labels).toEqual({ role: "web", location: "Berlin", fqdn: "web01", tier: "frontend" });
    expect(ansible.inventory).toEqual({ os: "debian", hw__serial: "X1" });
  });

  test("an account's [targets] table wins over its plugin's", () => {
    const accounts = ruleBook(`
[accounts.office]
plugin = "csv"
[targets.csv]
filter = ["site"]
[targets.office]
filter = ["role"]
`);
    expect(ok(accounts.forTarget("csv", "office").evaluate(server)).host.labels).toEqual({ role: "web" });
    expect(ok(accounts.forTarget("csv").evaluate(server)).host.labels).toEqual({ site: "berlin" });
  });
});

test("a target with no rule, filter or rewrite passes every host through as it is", () => {
  const book = ruleBook(`
[[rules]]
name = "checkmk only"
target = "checkmk"
match = "anyway"
set = { folder = "/x" }
`);
  expect(book.forTarget("csv").passThrough).toBe(true);
  expect(book.forTarget("checkmk").passThrough).toBe(false);
  expect(ok(book.forTarget("csv").evaluate(berlinWeb)).host.labels).toBe(berlinWeb.labels);
});

describe("rules that can be ruled out at once and rules looked at for every host run in file order together", () => {
  // Guarded rules (a plain equal or in_list) and unguarded ones (swith, regex) interleave; the same
  // condition appears in several rules and must answer for each host on its own.
  const book = ruleBook(`
[[rules]]
name = "web by name"
conditions = [{ hostname = true, match = "swith", value = "web" }]
set = { tier = "name", first = "web" }

[[rules]]
name = "berlin"
conditions = [{ label = "site", match = "equal", value = "berlin" }]
set = { tier = "site" }

[[rules]]
name = "web by name again"
conditions = [{ hostname = true, match = "swith", value = "web" }, { label = "role", match = "in_list", value = ["web", "proxy"] }]
set = { tier = "name and role" }

[[rules]]
name = "not berlin"
conditions = [{ label = "site", match = "equal", value = "berlin", negate = true }]
set = { elsewhere = "yes" }

[[rules]]
name = "berlin last"
conditions = [{ label = "site", match = "equal", value = "berlin" }, { hostname = true, match = "regex", value = "web\\\\d+" }]
set = { tier = "site and number" }
last_match = true

[[rules]]
name = "after last"
match = "anyway"
set = { tier = "after" }
`);
  const csv = book.forTarget("csv");

  test("each host gets what the rules set in their order, whichever way each was found", () => {
    expect(ok(csv.evaluate(berlinWeb)).host.labels).toEqual({ site: "berlin", role: "web", tier: "site and number", first: "web" });
    expect(ok(csv.evaluate(host("web02.paris", { site: "paris", role: "proxy" }))).host.labels).toEqual({ site: "paris", role: "proxy", tier: "after", first: "web", elsewhere: "yes" });
    expect(ok(csv.evaluate(host("db01.berlin", { site: "berlin", role: "db" }))).host.labels).toEqual({ site: "berlin", role: "db", tier: "after" });
    // The same host again, after others: nothing of theirs is left over.
    expect(ok(csv.evaluate(berlinWeb)).host.labels).toEqual({ site: "berlin", role: "web", tier: "site and number", first: "web" });
  });

  test("explain agrees with evaluate", () => {
    const explained = csv.explain(host("web02.paris", { site: "paris", role: "proxy" }));
    expect(explained.rules.map((rule) => rule.matched)).toEqual([true, false, true, true, false, true]);
  });
});
