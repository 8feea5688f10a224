import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, cleanEnv, runSyncer, startDaemon, tempDir, writeConfig } from "../helpers/binary.ts";
import { callBuiltin } from "../helpers/builtin-plugins.ts";
import { buildFixturePlugins, FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { hasCommand } from "../helpers/requirements.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

/**
 * The first-party ansible plugin through the compiled binary: hosts imported with the syncfix fixture
 * (its import returns the lines of a file as pages), then `syncer ansible inventory --list | --host`,
 * and Ansible's own `ansible-inventory` reading syncer as a dynamic-inventory script.
 */

type Json = Record<string, any>;

interface World {
  dir: string;
  config: string;
  /** Writes the pages account `a`'s import returns and runs it. */
  importHosts(...pages: Json[][]): void;
  cli(args: string[], env?: Record<string, string>): { code: number; stdout: string; stderr: string };
  /** `syncer ansible inventory …` parsed. */
  inventory(args: string[], env?: Record<string, string>): Json;
}

function world(extra = ""): World {
  const dir = tempDir("syncer-ansible-");
  const config = writeConfig(
    dir,
    `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n` +
      `[accounts.a]\nplugin = "syncfix"\ndelete_missing = true\ndelete_limit = "100%"\n[accounts.a.custom_fields]\npath = "a.pages"\n` +
      `[plugins.ansible]\ngroup_by = ["site", "os"]\n${extra}`,
  );
  const cli = (args: string[], env: Record<string, string> = {}) => runSyncer([...args, "--config", config], { env });
  return {
    dir,
    config,
    importHosts(...pages) {
      writeFileSync(join(dir, "a.pages"), pages.map((page) => JSON.stringify(page)).join("\n") + "\n");
      const run = cli(["syncfix", "import_hosts", "a"]);
      if (run.code !== 0) throw new Error(`import failed (${run.code}): ${run.stdout}\n${run.stderr}`);
    },
    cli,
    inventory(args, env = {}) {
      const run = cli(["ansible", "inventory", ...args], env);
      if (run.code !== 0) throw new Error(`syncer ansible inventory ${args.join(" ")} failed (${run.code}): ${run.stderr}`);
      return JSON.parse(run.stdout);
    },
  };
}

const host = (hostname: string, labels: Record<string, string> = {}, inventory: Json = {}) => ({ hostname, labels, inventory });

const HOSTS = [
  host("web01", { site: "berlin", os: "debian", role: "web" }, { ram_gb: 16, virtual: true }),
  host("web02", { site: "berlin", os: "rhel" }, { serial: "SN-2" }),
  host("web03", { site: "hamburg" }),
  host("db01", { role: "db" }, { ram_gb: 64 }),
  host("lonely"),
];

/** The groups HOSTS make with group_by = ["site", "os"]. */
const GROUPS = {
  ungrouped: ["db01", "lonely"],
  site_berlin: ["web01", "web02"],
  site_hamburg: ["web03"],
  os_debian: ["web01"],
  os_rhel: ["web02"],
};

/** Group name → its hosts, sorted, for every group but all. */
function groupsOf(inventory: Json): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const [name, group] of Object.entries(inventory)) {
    if (name === "_meta" || name === "all") continue;
    groups[name] = [...((group as Json).hosts ?? [])].sort();
  }
  return groups;
}

beforeAll(() => buildFixturePlugins(), COMPILE_TIMEOUT_MS);

describe("syncer ansible inventory", () => {
  test("--list gives groups from the group_by labels, ungrouped hosts and hostvars of labels and inventory", () => {
    const w = world();
    w.importHosts(HOSTS);
    const inventory = w.inventory(["--list"]);
    expect(groupsOf(inventory)).toEqual(GROUPS);
    expect([...inventory.all.children].sort()).toEqual(Object.keys(GROUPS).sort());
    expect(inventory._meta.hostvars).toEqual({
      web01: { site: "berlin", os: "debian", role: "web", a__ram_gb: 16, a__virtual: true },
      web02: { site: "berlin", os: "rhel", a__serial: "SN-2" },
      web03: { site: "hamburg" },
      db01: { role: "db", a__ram_gb: 64 },
      lonely: {},
    });
    // With no argument at all it lists too.
    expect(w.inventory([])).toEqual(inventory);
  });

  test("--host NAME gives that host's variables; an unknown host gives {}", () => {
    const w = world();
    w.importHosts(HOSTS);
    expect(w.inventory(["--host", "web01"])).toEqual({ site: "berlin", os: "debian", role: "web", a__ram_gb: 16, a__virtual: true });
    expect(w.inventory(["--host", "lonely"])).toEqual({});
    expect(w.inventory(["--host", "nosuchhost"])).toEqual({});
  });

  test("deleted and not active hosts are left out, of --list and of --host", () => {
    const w = world();
    w.importHosts(HOSTS);
    w.importHosts(HOSTS.filter((h) => h.hostname !== "db01")); // db01 is deleted (delete_missing)
    expect(w.cli(["hosts", "lifecycle", "web03", "decommissioned"]).code).toBe(0);
    const inventory = w.inventory(["--list"]);
    expect(Object.keys(inventory._meta.hostvars).sort()).toEqual(["lonely", "web01", "web02"]);
    expect(groupsOf(inventory)).toEqual({ ungrouped: ["lonely"], site_berlin: ["web01", "web02"], os_debian: ["web01"], os_rhel: ["web02"] });
    expect(w.inventory(["--host", "web03"])).toEqual({});
    expect(w.inventory(["--host", "db01"])).toEqual({});
  });

  test("group names are sanitised to letters, digits and '_', never starting with a digit; group_prefix comes first", () => {
    const w = world();
    w.importHosts([
      host("a1", { site: "Frankfurt am Main/2", os: "10.0" }),
      host("a2", { site: "München" }),
      host("a3", { site: "Frankfurt am Main-2" }), // sanitises to the same group as a1
      host("a4", { site: "" }),
    ]);
    expect(groupsOf(w.inventory(["--list"]))).toEqual({
      ungrouped: [],
      site_Frankfurt_am_Main_2: ["a1", "a3"],
      os_10_0: ["a1"],
      site_M_nchen: ["a2"],
      site_: ["a4"],
    });
    const prefixed = w.inventory(["--list"], { SYNCER_ANSIBLE_GROUP_PREFIX: "2nd-" });
    expect(Object.keys(groupsOf(prefixed)).sort()).toEqual(["_2nd_os_10_0", "_2nd_site_", "_2nd_site_Frankfurt_am_Main_2", "_2nd_site_M_nchen", "ungrouped"]);
    // Labels and their values stay as they are in hostvars.
    expect(prefixed._meta.hostvars.a2).toEqual({ site: "München" });
  });

  test("hostvars: labels only, or none; group_by from the environment", () => {
    const w = world();
    w.importHosts(HOSTS);
    const labels = w.inventory(["--list"], { SYNCER_ANSIBLE_HOSTVARS: "labels" });
    expect(labels._meta.hostvars.web01).toEqual({ site: "berlin", os: "debian", role: "web" });
    expect(w.inventory(["--host", "web01"], { SYNCER_ANSIBLE_HOSTVARS: "labels" })).toEqual({ site: "berlin", os: "debian", role: "web" });
    const none = w.inventory(["--list"], { SYNCER_ANSIBLE_HOSTVARS: "none", SYNCER_ANSIBLE_GROUP_BY: "role" });
    expect(none._meta.hostvars).toEqual({});
    expect(groupsOf(none)).toEqual({ ungrouped: ["lonely", "web02", "web03"], role_web: ["web01"], role_db: ["db01"] });
    expect(w.inventory(["--host", "web01"], { SYNCER_ANSIBLE_HOSTVARS: "none" })).toEqual({});
    const bad = w.cli(["ansible", "inventory", "--list"], { SYNCER_ANSIBLE_HOSTVARS: "all" });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("hostvars");
  });

  test("many hosts over many pages merge into the same inventory as one page", () => {
    const many: Json[] = [];
    for (let i = 0; i < 41; i++) {
      const labels: Record<string, string> = { site: ["berlin", "hamburg", "munich"][i % 3]!, rack: `r${i}` };
      if (i % 4) labels.os = i % 2 ? "debian" : "rhel";
      if (i % 7 === 0) delete labels.site;
      many.push(host(`host${String(i).padStart(2, "0")}`, labels, { n: i }));
    }
    const paged = world("[inventory]\npage_size = 2\n");
    paged.importHosts(many.slice(0, 20), many.slice(20));
    const whole = world();
    whole.importHosts(many.slice(0, 20), many.slice(20));
    const a = paged.inventory(["--list"]);
    const b = whole.inventory(["--list"]);
    expect(Object.keys(a._meta.hostvars)).toHaveLength(41);
    expect(a._meta.hostvars).toEqual(b._meta.hostvars);
    expect(groupsOf(a)).toEqual(groupsOf(b));
    expect([...a.all.children].sort()).toEqual([...b.all.children].sort());
    // No group repeats a host and none is listed twice among all's children.
    for (const hosts of Object.values(groupsOf(a))) expect(new Set(hosts).size).toBe(hosts.length);
    expect(new Set(a.all.children).size).toBe(a.all.children.length);
    expect(groupsOf(a).ungrouped).toEqual(["host00", "host28"]);
    expect(groupsOf(a).site_berlin).toHaveLength(12);
    expect(a._meta.hostvars.host40).toEqual({ ...many[40]!.labels, a__n: 40 });
  });
  test("pages are cut with deleted and inactive hosts counted; hosts named like the document's own keys merge as in one page", () => {
    // `hosts` and `children` make some pages' group objects keys-all-hostnames (host-keyed), others not.
    const names = ["all", "children", "db01", "hosts", "lonely", "ungrouped", "web01", "web02", "web03", "web04", "web05"];
    const hosts = names.map((name, i) => host(name, i % 3 ? { site: i % 2 ? "berlin" : "hamburg" } : {}, { n: i }));
    const paged = world("[inventory]\npage_size = 2\n");
    const whole = world();
    for (const w of [paged, whole]) {
      w.importHosts(hosts);
      w.importHosts(hosts.filter((h) => h.hostname !== "db01" && h.hostname !== "web02")); // deleted (delete_missing)
      expect(w.cli(["hosts", "lifecycle", "web04", "decommissioned"]).code).toBe(0);
    }
    const a = paged.inventory(["--list"]);
    const b = whole.inventory(["--list"]);
    expect(a).toEqual(b);
    expect(Object.keys(a._meta.hostvars)).toEqual(["all", "children", "hosts", "lonely", "ungrouped", "web01", "web03", "web05"]);
    expect(a._meta.hostvars.hosts).toEqual({ a__n: 3 });
    expect(groupsOf(a)).toEqual({ ungrouped: ["all", "hosts", "web01"], site_berlin: ["children", "ungrouped"], site_hamburg: ["lonely", "web03", "web05"] });
    expect(a.all.children).toEqual(["ungrouped", "site_berlin", "site_hamburg"]);
  });
  test("streamed from its spool, a mixed inventory of many pages is the one-page document, the same bytes on the CLI and over HTTP, and leaves no file behind", async () => {
    // Grouped and ungrouped hosts, escapes, a host named like a group, hostvars off for none: pages of 3.
    const mixed = Array.from({ length: 40 }, (_, i) => {
      const labels: Record<string, string> = i % 5 === 0 ? {} : { site: ["berlin", "hamburg", "site_berlin"][i % 3]!, quote: `"${i}"\n` };
      if (i % 4 === 1) labels.os = "debian";
      return host(i === 7 ? "site_hamburg" : `host${String(i).padStart(2, "0")}.example.com`, labels, i % 2 ? { n: i, ok: true, none: null } : {});
    });
    const paged = world("[inventory]\npage_size = 3\n");
    writeFileSync(paged.config, readFileSync(paged.config, "utf8").replace('data_dir = "data"\n', 'data_dir = "data"\nlisten = "127.0.0.1:0"\n'));
    const whole = world();
    for (const w of [paged, whole]) w.importHosts(mixed.slice(0, 25), mixed.slice(25));
    const temporary = tempDir("syncer-tmp-");
    const cli = paged.cli(["ansible", "inventory", "--list"], { TMPDIR: temporary });
    expect(cli.code).toBe(0);
    expect(readdirSync(temporary)).toEqual([]);
    expect(JSON.parse(cli.stdout)).toEqual(whole.inventory(["--list"]));
    expect(Object.keys(JSON.parse(cli.stdout)._meta.hostvars)).toHaveLength(40);

    const token = JSON.parse(paged.cli(["token", "create", "--name", "inv", "--scope", "hosts:read", "--json"]).stdout).token as string;
    const daemon = await startDaemon(["--config", paged.config], { env: { TMPDIR: temporary } });
    try {
      const answer = await fetch(`${daemon.url}/api/v1/inventory/ansible`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toBe("application/json");
      expect(`${await answer.text()}\n`).toBe(cli.stdout);
      expect(readdirSync(temporary)).toEqual([]);
    } finally {
      await daemon.stop();
    }
  });

  test("a reader that stops early (| head) ends the inventory quietly, with status 0", () => {
    const w = world();
    // Well over a pipe's buffer, so the writer is still writing when the reader goes away.
    w.importHosts(Array.from({ length: 5000 }, (_, i) => host(`host${String(i).padStart(4, "0")}.example.com`, { site: `s${i % 7}`, note: "x".repeat(100) })));
    const script = `set -o pipefail; ${JSON.stringify(BINARY)} ansible inventory --list --config ${JSON.stringify(w.config)} | head -c 16`;
    const result = Bun.spawnSync(["bash", "-c", script], { stdout: "pipe", stderr: "pipe" });
    expect(result.stdout.toString()).toBe('{"_meta":{"hostv');
    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
  });
});

describe("the inventory export called directly", () => {
  test("reads escaped names and values, members in any order, and copies inventory values as they are", async () => {
    const input = JSON.stringify(
      { hosts: [{ labels: { os: 'deb"ian', site: "bér" }, inventory: { cmdb__tags: ["a", "b"] }, account: null, hostname: "we\tb" }], host: null },
      null,
      2,
    );
    const result = await callBuiltin("ansible", "inventory", { input: JSON.parse(input), toml: '[plugins.ansible]\ngroup_by = ["os", "site"]' });
    expect(result).toMatchObject({ ok: true });
    const value = (result as { value: Json }).value;
    expect(value._meta.hostvars).toEqual({ "we\tb": { os: 'deb"ian', site: "bér", cmdb__tags: ["a", "b"] } });
    expect(groupsOf(value)).toEqual({ ungrouped: [], os_deb_ian: ["we\tb"], site_b_r: ["we\tb"] });
  });

  test("a record without a hostname, or with labels that are not an object, is a parser error naming the record", async () => {
    const noName = await callBuiltin("ansible", "inventory", { input: { hosts: [{ hostname: "a" }, { labels: {} }], host: null } });
    expect(noName).toMatchObject({ ok: false, error: { kind: "parser", message: "the inventory request: host 2 of the page has no hostname" } });
    const badLabels = await callBuiltin("ansible", "inventory", { input: { hosts: [{ hostname: "a", labels: [] }], host: null } });
    expect(badLabels).toMatchObject({ ok: false, error: { kind: "parser", message: "the inventory request: host 1 of the page has labels that are not an object" } });
  });
});

describe("groups from rules (outcome groups of target ansible)", () => {
  test("a host joins the groups its outcomes name, sanitised, beside those of group_by; outcomes are no host variables", async () => {
    const hosts = [
      { hostname: "web01", account: "a", labels: { site: "berlin" }, inventory: {}, outcomes: { groups: ["web servers", "prod"] } },
      { hostname: "db01", account: "a", labels: { site: "berlin" }, inventory: {}, outcomes: { groups: "prod" } },
      { hostname: "mx01", account: "a", labels: {}, inventory: {}, outcomes: { groups: [] } },
    ];
    const result = await callBuiltin("ansible", "inventory", { input: { hosts, host: null }, toml: '[plugins.ansible]\ngroup_by = ["site"]\ngroup_prefix = "g_"' });
    const value = (result as { value: Json }).value;
    expect(groupsOf(value)).toEqual({ ungrouped: ["mx01"], g_site_berlin: ["db01", "web01"], web_servers: ["web01"], prod: ["db01", "web01"] });
    expect(value._meta.hostvars.web01).toEqual({ site: "berlin" });
  });

  test("groups that are not a name or a list of names are a parser error naming the host", async () => {
    const result = await callBuiltin("ansible", "inventory", { input: { hosts: [{ hostname: "a", labels: {}, outcomes: { groups: [1] } }], host: null } });
    expect(result).toMatchObject({ ok: false, error: { kind: "parser", message: "the inventory request: host 1 of the page has outcomes.groups that is not a group name or a list of them" } });
  });
});

describe("the module on its own (raw requests the host would not send)", () => {
  /** Runs the export on a request text with just the ABI functions it imports. */
  function callModule(request: string): { code: number; output: string; error: string } {
    const module = new WebAssembly.Module(readFileSync(join(import.meta.dir, "..", "..", "plugins", "ansible", "build", "plugin.wasm")));
    const input = new TextEncoder().encode(request);
    let memory: WebAssembly.Memory | undefined;
    let output = "";
    let error = "";
    const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
    const instance = new WebAssembly.Instance(module, {
      "syncer:v1": {
        input_length: () => input.length,
        input_read: (ptr: number, len: number) => new Uint8Array(memory!.buffer, ptr, len).set(input),
        output_write: (ptr: number, len: number) => void (output = text(ptr, len)),
        error_write: (ptr: number, len: number) => void (error = text(ptr, len)),
        log: () => {},
      },
      env: { abort: () => { throw new Error("abort"); } },
    } as unknown as Record<string, Record<string, () => unknown>>);
    memory = instance.exports.memory as WebAssembly.Memory;
    return { code: (instance.exports.inventory as () => number)(), output, error };
  }

  test("options after the input, pretty-printed JSON; trailing garbage and a bad choice are refused", () => {
    const pretty = `{\n  "input": { "host": null, "hosts": [ { "hostname": "h1", "labels": { "site": "b" } } ] },\n  "options": { "group_by": ["site"], "group_prefix": "p-" }\n}\n`;
    const answer = callModule(pretty);
    expect(answer.code).toBe(0);
    expect(JSON.parse(answer.output)).toEqual({ _meta: { hostvars: { h1: { site: "b" } } }, all: { children: ["ungrouped", "p_site_b"] }, ungrouped: { hosts: [] }, p_site_b: { hosts: ["h1"] } });
    expect(JSON.parse(callModule(`{"input":{"host":"h1","hosts":[{"hostname":"h1","labels":{"a":"1"},"inventory":{"x__n":1}}]},"options":{}}`).output)).toEqual({ a: "1", x__n: 1 });
    expect(JSON.parse(callModule(`{"options":{"hostvars":"bogus"},"input":null}`).error)).toEqual({ kind: "options", message: "hostvars must be one of labels, labels_and_inventory, none" });
    expect(JSON.parse(callModule(`{"options":{},"input":null} x`).error)).toMatchObject({ kind: "parser" });
  });
});

describe("Ansible's ansible-inventory reading syncer as a dynamic inventory", () => {
  const available = hasCommand("ansible-inventory", "ansible-core");

  function ansible(w: World, args: string[]): Json {
    const script = join(w.dir, "syncer-inventory.sh");
    writeFileSync(script, `#!/bin/sh\nexec ${JSON.stringify(BINARY)} ansible inventory --config ${JSON.stringify(w.config)} "$@"\n`);
    chmodSync(script, 0o755);
    const result = Bun.spawnSync(["ansible-inventory", "-i", script, ...args], {
      cwd: w.dir,
      env: cleanEnv({
        HOME: w.dir,
        ANSIBLE_INVENTORY_ENABLED: "script",
        // A script that fails is an error, not a warning followed by an empty inventory.
        ANSIBLE_INVENTORY_UNPARSED_FAILED: "true",
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: "true",
        ANSIBLE_NOCOLOR: "1",
      }),
      stdout: "pipe",
      stderr: "pipe",
    });
    if (result.exitCode !== 0) throw new Error(`ansible-inventory ${args.join(" ")} failed (${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.toString());
  }

  test.skipIf(!available)("--list shows syncer's hosts, groups and variables", () => {
    const w = world("[inventory]\npage_size = 2\n");
    w.importHosts(HOSTS);
    const inventory = ansible(w, ["--list"]);
    expect(inventory._meta.hostvars.web01).toEqual({ site: "berlin", os: "debian", role: "web", a__ram_gb: 16, a__virtual: true });
    expect(inventory._meta.hostvars.db01).toEqual({ role: "db", a__ram_gb: 64 });
    expect(groupsOf(inventory)).toEqual(GROUPS);
    expect([...inventory.all.children].sort()).toEqual(Object.keys(GROUPS).sort());
  });

  test.skipIf(!available)("--host NAME shows one host's variables", () => {
    const w = world();
    w.importHosts(HOSTS);
    expect(ansible(w, ["--host", "web02"])).toEqual({ site: "berlin", os: "rhel", a__serial: "SN-2" });
  });
});
