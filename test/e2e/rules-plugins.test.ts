/**
 * Plugins' filters and tests in rules, through the compiled binary: the rulefix fixture provides a
 * filter (rulefix_slug) and a test (rulefix_longer_than), syncfix exports, ansible renders the
 * inventory. Each page of hosts costs one call per function (the fixture logs every call into the run
 * log, so the calls can be counted), and a value the filter traps on fails only the host that has it,
 * counted and named in the run log.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(() => buildFixturePlugins(), COMPILE_TIMEOUT_MS);

type Json = Record<string, any>;

const RULES = `
[[rules]]
name = "long names get their site's slug"
target = "syncfix"
conditions = [{ hostname = true, match = "rulefix_longer_than", value = 4 }]
set = { slug = "{{ labels.site | rulefix_slug }}" }

[[rules]]
name = "ansible groups by site"
target = "ansible"
match = "anyway"
set = { groups = ["site_{{ labels.site | rulefix_slug: '_' }}"] }
`;

/** Seven hosts in pages of three: [berlin1 db1 fra-web] [mx1 trap-host web-bad-homburg] [web-rome]. */
const HOSTS = [
  { hostname: "berlin1", labels: { site: "Berlin" } },
  { hostname: "db1", labels: { site: "Berlin" } },
  { hostname: "fra-web", labels: { site: "Frankfurt am Main" } },
  { hostname: "mx1", labels: { site: "Oslo" } },
  { hostname: "trap-host", labels: { site: "trap!" } },
  { hostname: "web-bad-homburg", labels: { site: "Bad Homburg" } },
  { hostname: "web-rome", labels: { site: "Rome" } },
];

function installation(rules = RULES) {
  const dir = tempDir("syncer-rules-plugins-");
  writeFileSync(join(dir, "a.pages"), JSON.stringify(HOSTS) + "\n");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n[plugins]\ndirectories = ${JSON.stringify([FIXTURE_PLUGINS])}\n[inventory]\npage_size = 3\n[accounts.a]\nplugin = "syncfix"\n[accounts.a.custom_fields]\npath = "a.pages"\n${rules}`,
  );
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  expect(cli("syncfix", "import_hosts", "a").code).toBe(0);
  return { dir, config, cli };
}

describe("an export run", () => {
  const { cli } = installation();

  test("hosts get what the plugin's filter made of their values; a page costs one call per function", () => {
    const run = cli("syncfix", "export_hosts", "a", "--dry-run", "--json");
    expect(run.code).toBe(0);
    const sent = JSON.parse(run.stdout) as Json;
    expect(Object.fromEntries(sent.would_send.map((host: Json) => [host.hostname, host.labels.slug ?? null]))).toEqual({
      berlin1: "berlin",
      db1: null,
      "fra-web": "frankfurt-am-main",
      mx1: null,
      "web-bad-homburg": "bad-homburg",
      "web-rome": "rome",
    });
    const calls = sent.details.map((detail: Json) => detail.message).filter((message: string) => /^(slug|longer_than): /.test(message));
    // Per page: the test for its three hosts (one for the last), then the filter for the distinct sites of
    // the hosts that passed; the second page's filter call traps and is halved to find trap!.
    expect(calls).toEqual([
      "longer_than: 3 values",
      "slug: 2 values",
      "longer_than: 3 values",
      "slug: 2 values",
      "slug: 1 values",
      "slug: 1 values",
      "longer_than: 1 values",
      "slug: 1 values",
    ]);
  });

  test("the host whose value the filter traps on fails alone, counted and named with its rule in the run log", () => {
    const run = cli("syncfix", "export_hosts", "a", "--json");
    const report = JSON.parse(run.stdout) as Json;
    expect(report).toMatchObject({ status: "ok", created: 6, failed: 1 });
    const errors = report.details.filter((detail: Json) => detail.level === "error").map((detail: Json) => detail.message);
    expect(errors).toEqual([expect.stringMatching(/^rule "long names get their site's slug" \(.*sync\.config\.toml:\d+:1\) failed for host trap-host: filter rulefix_slug of plugin rulefix failed on "trap!": trap: /)]);
    const stored = JSON.parse(cli("runs", "show", String(report.run), "--json").stdout) as Json;
    expect(JSON.stringify(stored)).toContain("failed for host trap-host");
  });
});

describe("explaining and testing rules", () => {
  const { dir, cli } = installation();

  test("rules debug shows the plugin test with the value it saw and what the filter gave", () => {
    const debug = cli("rules", "debug", "fra-web", "--target", "syncfix", "--json");
    expect(debug.code).toBe(0);
    const [explanation] = JSON.parse(debug.stdout).targets;
    expect(explanation.rules[0]).toMatchObject({
      matched: true,
      conditions: [{ condition: "hostname rulefix_longer_than 4", seen: "fra-web", matched: true }],
      set: { slug: "frankfurt-am-main" },
    });
  });

  test("rules test counts the hosts a file's rules match, calling the plugins as a run does", () => {
    const file = join(dir, "candidate.toml");
    writeFileSync(file, `[[rules]]\nname = "very long"\nconditions = [{ hostname = true, match = "rulefix_longer_than", value = 8 }]\nset = { x = "{{ labels.site | rulefix_slug }}" }\n`);
    const tested = cli("rules", "test", file, "--json");
    expect(tested.code).toBe(0);
    expect(JSON.parse(tested.stdout).rules).toEqual([{ name: "very long", at: `${file}:1:1`, target: "*", matched: 1, failed: 1 }]);
  });

  test("a mistake with a plugin's function is a config error at its place", () => {
    const file = join(dir, "bad.toml");
    writeFileSync(file, `[[rules]]\nname = "typo"\nconditions = [{ hostname = true, match = "rulefix_longer", value = 2 }]\nset = { x = "{{ hostname | rulefix_slug: 1, 2 }}" }\n`);
    const tested = cli("rules", "test", file);
    expect(tested.code).toBe(1);
    expect(tested.stderr).toContain(`${file}:3:42: rules[0].conditions[0].match: unknown match type 'rulefix_longer'; did you mean 'rulefix_longer_than'?`);
    expect(tested.stderr).toContain(`${file}:4:13: rules[0].set.x: template error: filter rulefix_slug takes 0 to 1 arguments, given 2`);
  });
});

describe("the Ansible inventory", () => {
  test("groups from the rules, named by the plugin's filter; a host the filter fails on fails the inventory, named", () => {
    const failing = installation().cli("ansible", "inventory", "--list");
    expect(failing.code).not.toBe(0);
    expect(failing.stderr).toMatch(/failed for host trap-host: filter rulefix_slug of plugin rulefix failed on "trap!": trap: /);

    const ignoreTrap = `[[rules]]\nname = "no traps"\ntarget = "ansible"\nconditions = [{ label = "site", match = "equal", value = "trap!" }]\nset = { ignore_host = true }\nlast_match = true\n`;
    const listed = installation(ignoreTrap + RULES).cli("ansible", "inventory", "--list");
    expect(listed.code).toBe(0);
    const inventory = JSON.parse(listed.stdout) as Json;
    const groups = Object.fromEntries(Object.entries(inventory).filter(([name]) => name.startsWith("site_")).map(([name, group]) => [name, (group as Json).hosts]));
    expect(groups).toEqual({
      site_berlin: ["berlin1", "db1"],
      site_frankfurt_am_main: ["fra-web"],
      site_oslo: ["mx1"],
      site_bad_homburg: ["web-bad-homburg"],
      site_rome: ["web-rome"],
    });
    expect(Object.keys(inventory._meta.hostvars)).not.toContain("trap-host");
  }, 30_000);
});
