/**
 * Rules through the compiled binary: `syncer rules list | debug | test`, config errors in included rules
 * files, GET /api/v1/hosts/{name}/rules, and an edited rules file taken over by a running daemon.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSyncer, startDaemon, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";

/** The demo CSV's rows as objects, to count what the rules should match without syncer. */
const DEMO_ROWS = readFileSync(DEMO_CSV, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => {
    const [host, site, role, os, env] = line.split(",");
    return { host: host!, site: site!, role: role!, os: os!, env: env! };
  });

const CONFIG = `[server]
listen = "127.0.0.1:0"
[accounts.demo]
plugin = "csv"
[accounts.demo.custom_fields]
path = ${JSON.stringify(DEMO_CSV)}
hostname_column = "host"
label_columns = ["site", "role", "os", "env"]

[include]
rules = ["rules.d/*.toml"]

[[rules]]
name = "berlin web servers"
conditions = [
  { label = "site", match = "equal", value = "Berlin" },
  { hostname = true, match = "swith", value = "web" },
]
set = { tier = "frontend" }

[targets.ansible]
filter = ["site", "role"]
`;

const ANSIBLE_RULES = `[[rules]]
name = "ansible groups"
target = "ansible"
match = "anyway"
set = { groups = ["{{ labels.role }}_{{ labels.env }}"], http_port = 8080 }
`;

function installation(): { dir: string; config: string } {
  const dir = tempDir("syncer-rules-e2e-");
  const config = writeConfig(dir, CONFIG);
  mkdirSync(join(dir, "rules.d"));
  writeFileSync(join(dir, "rules.d", "10-ansible.toml"), ANSIBLE_RULES);
  const imported = runSyncer(["csv", "import_hosts", "demo", "--config", config]);
  expect(imported.code).toBe(0);
  return { dir, config };
}

describe("syncer rules", () => {
  const { dir, config } = installation();

  test("list: every rule in evaluation order with where it is written", () => {
    const listed = runSyncer(["rules", "list", "--json", "--config", config]);
    expect(listed.code).toBe(0);
    const { rules } = JSON.parse(listed.stdout);
    expect(rules.map((rule: { name: string; at: string }) => [rule.name, rule.at])).toEqual([
      ["berlin web servers", `${config}:13:1`],
      ["ansible groups", `${join(dir, "rules.d", "10-ansible.toml")}:1:1`],
    ]);
    expect(rules[0]).toMatchObject({ target: "*", match: "all", conditions: ['label site equal "Berlin"', 'hostname swith "web"'], set: { tier: "frontend" } });
    const text = runSyncer(["rules", "list", "--target", "csv", "--config", config]);
    expect(text.stdout).toContain("berlin web servers");
    expect(text.stdout).not.toContain("ansible groups");
  });

  test("debug: each condition with the value it saw, what was set, and what the target receives", () => {
    const debug = runSyncer(["rules", "debug", "web01.berlin.example.com", "--target", "ansible", "--json", "--config", config]);
    expect(debug.code).toBe(0);
    const [explanation] = JSON.parse(debug.stdout).targets;
    expect(explanation.rules[0].conditions).toEqual([
      { condition: 'label site equal "Berlin"', seen: "berlin", matched: true },
      { condition: 'hostname swith "web"', seen: "web01.berlin.example.com", matched: true },
    ]);
    expect(explanation.result).toEqual({ ignored: false, labels: { site: "berlin", role: "web", tier: "frontend", http_port: "8080" }, inventory: {}, outcomes: { groups: ["web_prod"] } });

    const text = runSyncer(["rules", "debug", "db01.berlin.example.com", "--config", config]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("db01.berlin.example.com for ansible");
    expect(text.stdout).toMatch(/✗ hostname swith "web"\s+saw "db01\.berlin\.example\.com"/);
  });

  test("debug: an unknown host or target is an error saying so", () => {
    expect(runSyncer(["rules", "debug", "nope.example.com", "--config", config])).toMatchObject({ code: 1, stderr: expect.stringContaining('no host "nope.example.com"') });
    expect(runSyncer(["rules", "debug", "web01.berlin.example.com", "--target", "ansibel", "--config", config])).toMatchObject({ code: 1, stderr: expect.stringContaining("no plugin or account 'ansibel'; did you mean 'ansible'?") });
  });

  test("test: how many hosts each rule of a file matches, without applying it", () => {
    const file = join(dir, "candidate.toml");
    writeFileSync(file, `[[rules]]\nname = "munich"\nconditions = [{ label = "site", match = "equal", value = "munich" }]\nset = { x = "1" }\n[[rules]]\nname = "prod databases"\ntarget = "demo"\nconditions = [{ label = "role", match = "equal", value = "db" }, { label = "env", match = "equal", value = "prod" }]\nset = { y = "1" }\n`);
    const tested = runSyncer(["rules", "test", file, "--json", "--config", config]);
    expect(tested.code).toBe(0);
    expect(JSON.parse(tested.stdout)).toEqual({
      file,
      hosts: DEMO_ROWS.length,
      rules: [
        { name: "munich", at: `${file}:1:1`, target: "*", matched: DEMO_ROWS.filter((row) => row.site === "munich").length, failed: 0 },
        { name: "prod databases", at: `${file}:5:1`, target: "demo", matched: DEMO_ROWS.filter((row) => row.role === "db" && row.env === "prod").length, failed: 0 },
      ],
    });
    // Nothing was applied: the config's rules are as they were.
    expect(JSON.parse(runSyncer(["rules", "list", "--json", "--config", config]).stdout).rules).toHaveLength(2);
  });

  test("a rules file with a mistake is a config error at that file's line and column", () => {
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, `[[rules]]\nname = "typo"\ntarget = "ansible"\nconditions = [{ hostname = true, match = "regex", value = "web(" }]\n`);
    const tested = runSyncer(["rules", "test", bad, "--config", config]);
    expect(tested.code).toBe(1);
    expect(tested.stderr).toContain(`${bad}:4:59: rules[0].conditions[0].value: not a valid regular expression`);
  });
});

test("config check names the included file's line and column", () => {
  const dir = tempDir("syncer-rules-e2e-");
  const config = writeConfig(dir, `[include]\nrules = ["rules.d/*.toml"]\n`);
  mkdirSync(join(dir, "rules.d"));
  writeFileSync(join(dir, "rules.d", "web.toml"), `[[rules]]\nname = "web"\nmatch = "anyway"\n[rules.set]\nignore_host = "yes"\n`);
  const checked = runSyncer(["config", "check", "--config", config]);
  expect(checked.code).toBe(1);
  expect(checked.stderr).toContain(`${join(dir, "rules.d", "web.toml")}:5:15: rules[0].set.ignore_host: ignore_host is true or false`);
});

test("the API explains a host's rules, and a running daemon takes over an edited rules file", async () => {
  const { dir, config } = installation();
  const token = JSON.parse(runSyncer(["token", "create", "--name", "ops", "--scope", "hosts:read", "--json", "--config", config]).stdout).token as string;
  const daemon = await startDaemon(["--config", config]);
  const get = async (path: string) => {
    const response = await fetch(`${daemon.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as any };
  };
  try {
    const first = await get("/hosts/web01.berlin.example.com/rules?target=ansible");
    expect(first.status).toBe(200);
    expect(first.body.targets[0].result.outcomes).toEqual({ groups: ["web_prod"] });
    expect((await get("/hosts/nope/rules")).status).toBe(404);
    expect((await get("/hosts/web01.berlin.example.com/rules?target=nothing")).body.error.kind).toBe("not_found");
    const openapi = (await (await fetch(`${daemon.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain("/hosts/{hostname}/rules");

    writeFileSync(join(dir, "rules.d", "10-ansible.toml"), ANSIBLE_RULES.replace("{{ labels.env }}", "{{ labels.site }}"));
    const deadline = Date.now() + 15_000;
    while (!daemon.log().includes("config reloaded (file changed)") && Date.now() < deadline) await Bun.sleep(50);
    expect(daemon.log()).toMatch(/config reloaded \(file changed\).*changed=rules/);
    expect((await get("/hosts/web01.berlin.example.com/rules?target=ansible")).body.targets[0].result.outcomes).toEqual({ groups: ["web_berlin"] });
  } finally {
    await daemon.stop();
  }
}, 30_000);

test("the Ansible inventory gets what the rules give target ansible: filtered, with rule attributes, ignored hosts left out", () => {
  const { dir, config } = installation();
  writeFileSync(join(dir, "rules.d", "20-ignore.toml"), `[[rules]]\nname = "no caches in ansible"\ntarget = "ansible"\nconditions = [{ label = "role", match = "equal", value = "cache" }]\nset = { ignore_host = true }\n`);
  const listed = runSyncer(["ansible", "inventory", "--list", "--config", config]);
  expect(listed.code).toBe(0);
  const inventory = JSON.parse(listed.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
  const hostnames = Object.keys(inventory._meta.hostvars);
  expect(hostnames.sort()).toEqual(DEMO_ROWS.filter((row) => row.role !== "cache").map((row) => row.host).sort());
  // [targets.ansible] filter = ["site", "role"]: os and env stay home; the rules' attributes leave.
  expect(inventory._meta.hostvars["web01.berlin.example.com"]).toEqual({ site: "berlin", role: "web", tier: "frontend", http_port: "8080" });
  expect(inventory._meta.hostvars["db01.berlin.example.com"]).toEqual({ site: "berlin", role: "db", http_port: "8080" });
});
