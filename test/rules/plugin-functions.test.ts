/**
 * Plugins' template filters and condition tests in rules: checked when the rules compile (names,
 * arguments, values), and answered for a page of hosts at once: one call per function with every
 * distinct value the page needs, never one per host; a value the plugin fails on fails only the hosts
 * that needed it. The plugin here is a function in this process; test/plugins/functions.test.ts and
 * test/e2e/rules-plugins.test.ts run a real one in its sandbox.
 */
import { describe, expect, test } from "bun:test";
import type { FunctionCaller, FunctionItem, PluginFunction } from "../../src/rules/plugin-functions.ts";
import { compiled, CONFIG_FILE, host } from "../helpers/rules.ts";

const MANIFEST = "/plugins/netkit/plugin.json";
const fn = (kind: PluginFunction["kind"], entry: string, minArgs: number, maxArgs: number, plugin = "netkit"): PluginFunction => ({
  name: `${plugin}_${entry}`,
  plugin,
  kind,
  entry,
  manifest: MANIFEST,
  minArgs,
  maxArgs,
});

const FUNCTIONS = [fn("filter", "slug", 0, 1), fn("filter", "upper", 0, 0), fn("test", "longer_than", 1, 1), fn("test", "internal", 0, 0)];

/** The plugin: what each function answers for a value, and every call it got. */
function netkit() {
  const calls: { fn: string; values: unknown[] }[] = [];
  const answer = (name: string, { value, args }: FunctionItem) => {
    if (value === "boom") return { ok: false as const, message: "trap: unreachable" };
    const text = String(value);
    switch (name) {
      case "netkit_slug":
        return { ok: true as const, value: text.toLowerCase().replace(/[^a-z0-9]+/g, (args[0] as string | undefined) ?? "-") };
      case "netkit_upper":
        return { ok: true as const, value: text.toUpperCase() };
      case "netkit_longer_than":
        return { ok: true as const, value: text.length > Number(args[0]) };
      default:
        return { ok: true as const, value: text.endsWith(".internal") };
    }
  };
  const call: FunctionCaller = async (called, items) => {
    calls.push({ fn: called.name, values: items.map((item) => item.value) });
    return items.map((item) => answer(called.name, item));
  };
  return { call, calls };
}

function book(text: string) {
  const { book, problems } = compiled(text, CONFIG_FILE, FUNCTIONS);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return book;
}

const problemsOf = (text: string, functions = FUNCTIONS) => compiled(text, CONFIG_FILE, functions).problems;

describe("checked when the rules compile", () => {
  test("a filter given more or fewer arguments than it takes", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { a = "{{ hostname | netkit_slug: '_', 'x' }}" }\n`)).toEqual([
      `${CONFIG_FILE}:4:13: rules[0].set.a: template error: filter netkit_slug takes 0 to 1 arguments, given 2`,
    ]);
    expect(problemsOf(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { a = "{% if hostname | netkit_upper: 1 %}x{% endif %}" }\n`)[0]).toContain("filter netkit_upper takes 0 arguments, given 1");
  });

  test("a test is a match type, with a did-you-mean among the match types and the plugins' tests", () => {
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ hostname = true, match = "netkit_longer", value = 3 }]\n`)).toEqual([
      `${CONFIG_FILE}:3:42: rules[0].conditions[0].match: unknown match type 'netkit_longer'; did you mean 'netkit_longer_than'? (match types: equal, in, not_in, in_list, string_in_list, swith, ewith, regex, bool, ignore; plugin tests: netkit_longer_than, netkit_internal)`,
    ]);
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ hostname = true, match = "netkit_longer_than" }]\n`)[0]).toContain("rules[0].conditions[0].match: test netkit_longer_than needs a value");
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ hostname = true, match = "netkit_internal", value = "x" }]\n`)[0]).toContain("rules[0].conditions[0].value: test netkit_internal takes no value");
    // A filter is no test.
    expect(problemsOf(`[[rules]]\nname = "r"\nconditions = [{ hostname = true, match = "netkit_slug" }]\n`)[0]).toContain("unknown match type 'netkit_slug'");
  });

  test("two plugins' functions under one name, or a filter named like one of Liquid's, are problems of the manifest", () => {
    const clash = [...FUNCTIONS, { ...fn("test", "longer_than", 1, 1, "netkit"), entry: "x", manifest: "/plugins/other/plugin.json", plugin: "other" }];
    expect(problemsOf("", clash)).toEqual([
      `/plugins/other/plugin.json: tests.x: rules would call it netkit_longer_than, as plugin netkit's test longer_than (${MANIFEST}); rename one, or disable a plugin`,
    ]);
    expect(problemsOf("", [fn("filter", "encode", 0, 0, "url")])).toEqual([`${MANIFEST}: filters.encode: rules would call it url_encode, which is one of Liquid's own filters; rename it`]);
  });
});

describe("answered a page at a time", () => {
  const rules = `
[[rules]]
name = "long names"
target = "checkmk"
conditions = [{ hostname = true, match = "netkit_longer_than", value = 5 }]
set = { folder = "/{{ labels.site | netkit_slug }}" }

[[rules]]
name = "internal"
target = "checkmk"
conditions = [{ hostname = true, match = "netkit_internal" }]
set = { labels.zone = "{{ labels.site | netkit_slug: '_' }}" }
`;

  test("one call per function with the page's distinct values; each host gets its own results", async () => {
    const plugin = netkit();
    const hosts = [host("web01.internal", { site: "Bad Homburg" }), host("db1", { site: "Bad Homburg" }), host("mail.example.com", { site: "Rome" })];
    const outcomes = await book(rules).forTarget("checkmk").evaluateAll(hosts, plugin.call);
    expect(outcomes.map((outcome) => outcome.ok && outcome.host.outcomes)).toEqual([{ folder: "/bad-homburg", labels: { zone: "bad_homburg" } }, {}, { folder: "/rome" }]);
    // Round 1: both tests, for all three hosts at once. Round 2: the filter, for the hosts whose rules
    // matched, each distinct value and arguments once ("Bad Homburg" with no argument and with '_').
    expect(plugin.calls).toEqual([
      { fn: "netkit_longer_than", values: ["web01.internal", "db1", "mail.example.com"] },
      { fn: "netkit_internal", values: ["web01.internal", "db1", "mail.example.com"] },
      { fn: "netkit_slug", values: ["Bad Homburg", "Bad Homburg", "Rome"] },
    ]);
  });

  test("a filter applied to another's result waits one more round; a template reading what rules set asks only with what it will read", async () => {
    const plugin = netkit();
    const chained = book(`
[[rules]]
name = "short"
match = "anyway"
set = { short = "{{ hostname | netkit_upper | netkit_slug }}" }

[[rules]]
name = "from short"
match = "anyway"
set = { again = "{{ attributes.short | netkit_upper }}" }
`);
    const [outcome] = await chained.forTarget("csv").evaluateAll([host("a.b")], plugin.call);
    expect(outcome).toMatchObject({ ok: true, host: { labels: { short: "a-b", again: "A-B" } } });
    expect(plugin.calls).toEqual([
      { fn: "netkit_upper", values: ["a.b"] },
      { fn: "netkit_slug", values: ["A.B"] },
      { fn: "netkit_upper", values: ["a-b"] },
    ]);
  });

  test("a value the plugin fails on fails the hosts that need it, naming the rule; the others go on", async () => {
    const plugin = netkit();
    const hosts = [host("web01.internal", { site: "boom" }), host("db01.internal", { site: "Oslo" })];
    const outcomes = await book(rules).forTarget("checkmk").evaluateAll(hosts, plugin.call);
    expect(outcomes[0]).toEqual({
      ok: false,
      hostname: "web01.internal",
      message: `rule "long names" (${CONFIG_FILE}:2:1) failed for host web01.internal: filter netkit_slug of plugin netkit failed on "boom": trap: unreachable`,
    });
    expect(outcomes[1]).toMatchObject({ ok: true, host: { outcomes: { folder: "/oslo", labels: { zone: "oslo" } } } });
  });

  test("a test failing on a value fails the host at the rule of its condition", async () => {
    const plugin = netkit();
    const [outcome] = await book(rules).forTarget("checkmk").evaluateAll([host("boom")], plugin.call);
    expect(outcome).toEqual({
      ok: false,
      hostname: "boom",
      message: `rule "long names" (${CONFIG_FILE}:2:1) failed for host boom: test netkit_longer_than of plugin netkit failed on "boom": trap: unreachable`,
    });
  });

  test("a value the host does not have is not sent, and the condition does not hold, negated or not", async () => {
    const plugin = netkit();
    const negated = book(`[[rules]]\nname = "r"\nconditions = [{ label = "fqdn", match = "netkit_internal", negate = true }]\nset = { x = "1" }\n`);
    const [outcome] = await negated.forTarget("csv").evaluateAll([host("a")], plugin.call);
    expect(outcome).toMatchObject({ ok: true, host: { labels: {} } });
    expect(plugin.calls).toEqual([]);
  });

  test("rules that use no plugin function call nothing", async () => {
    const plugin = netkit();
    const plain = book(`[[rules]]\nname = "r"\nmatch = "anyway"\nset = { x = "{{ hostname | upcase }}" }\n`);
    expect(plain.forTarget("csv").functions).toBeUndefined();
    expect(await plain.forTarget("csv").evaluateAll([host("a")], plugin.call)).toMatchObject([{ ok: true, host: { labels: { x: "A" } } }]);
    expect(plugin.calls).toEqual([]);
  });

  test("the explanation shows each plugin test with the value it saw", async () => {
    const plugin = netkit();
    const [explanation] = await book(rules).forTarget("checkmk").explainAll([host("db1", { site: "Oslo" })], plugin.call);
    expect(explanation!.rules[0]!.conditions).toEqual([{ condition: "hostname netkit_longer_than 5", seen: "db1", matched: false }]);
    expect(explanation!.rules[1]!).toMatchObject({ matched: false, conditions: [{ condition: "hostname netkit_internal", seen: "db1", matched: false }] });
  });
});
