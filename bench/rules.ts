/**
 * The rules engine against the same rules written directly in TypeScript, in the same run; then the
 * Ansible inventory of those hosts with those rules, as a whole process.
 *
 *   node_modules/.bin/bun bench/rules.ts [--hosts 100000] [--rounds 5]      (after npm run build)
 *
 * 200 rules of ten kinds (equal, in_list, swith, ewith, regex, in, negated equal, bool, any of two,
 * inventory equal), 50 of them with a templated outcome, all for one target (checkmk, declaring folder,
 * labels.* and any other key), over 100k hosts: each host matches about a fifth of the rules. The engine's rules are
 * compiled from TOML as a config would be; the direct version is one loop over the same rule
 * parameters with the comparison of each kind written out, and string concatenation for the
 * templates. Both must give every host the same labels and outcomes (checked), then each is timed
 * (the best of --rounds). Goals (issue 15): the engine ≤ 1 s, and ≤ 3× the direct version.
 *
 * Then `syncer ansible inventory --list` for the same hosts, stored in a database, with the same 200
 * rules written for target ansible (their keys become host variables), against the same command with no
 * rules (the median of --rounds runs each, stdout to a file). Goal: ≤ 1 s with the rules. An unchanged
 * inventory takes the pages' answers kept by the run before (src/runs/answer-cache.ts); the same runs with
 * those dropped first are printed beside them: what the first inventory after a change costs. The machine's
 * load average is printed beside each measurement: on a shared machine, measure again when it is high.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../src/config/load.ts";
import { compileRules } from "../src/rules/compile.ts";
import type { HostData } from "../src/rules/host.ts";
import { clearKeptAnswers, median, seedInventoryHosts } from "./lib.ts";

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const HOSTS = argument("--hosts", 100_000);
const ROUNDS = argument("--rounds", 5);

const SITES = ["berlin", "paris", "rome", "madrid", "oslo", "vienna", "prague", "lisbon", "dublin", "athens"];
const ROLES = ["web", "db", "cache", "proxy", "mail", "dns", "build", "monitor"];
const PREFIXES = ["web", "db", "app", "lb", "mx", "ns", "ci", "mon"];

function hostAt(i: number): HostData {
  const site = SITES[i % SITES.length]!;
  const role = ROLES[(i * 7) % ROLES.length]!;
  const prefix = PREFIXES[(i * 3) % PREFIXES.length]!;
  return {
    hostname: `${prefix}${String(i).padStart(6, "0")}.${site}.example.com`,
    account: "cmdb",
    labels: { site: i % 13 === 0 ? site.toUpperCase() : site, role, env: i % 3 === 0 ? "prod" : i % 3 === 1 ? "dev" : "test", monitored: i % 4 === 0 ? "false" : "true", rack: `r${i % 40}` },
    inventory: { cmdb__ram_gb: [4, 8, 16, 32, 64][i % 5]!, cmdb__os: i % 2 ? "debian" : "rhel" },
  };
}

type Kind = "equal" | "in_list" | "swith" | "ewith" | "regex" | "in" | "not_equal" | "bool" | "any" | "inventory";
interface Spec {
  kind: Kind;
  a: string;
  b: string;
  key: string;
  /** Templated outcome: folder from site and role, or the short hostname upper-cased. */
  template?: "folder" | "short";
  constant: string;
}

const KINDS: Kind[] = ["equal", "in_list", "swith", "ewith", "regex", "in", "not_equal", "bool", "any", "inventory"];

function specs(): Spec[] {
  return Array.from({ length: 200 }, (_, i) => {
    const kind = KINDS[i % KINDS.length]!;
    const a = kind === "swith" || kind === "regex" ? PREFIXES[i % PREFIXES.length]! : kind === "inventory" ? String([4, 8, 16, 32, 64][i % 5]) : SITES[i % SITES.length]!;
    const b = ROLES[(i * 5) % ROLES.length]!;
    const template = i % 4 === 0 ? (i % 8 === 0 ? "folder" : "short") : undefined;
    return { kind, a, b, key: template ? (template === "folder" ? "folder" : `labels.short${i % 10}`) : `attr${i % 30}`, template, constant: `value${i}` };
  });
}

function conditionsToml(spec: Spec): string {
  switch (spec.kind) {
    case "equal":
      return `[{ label = "site", match = "equal", value = "${spec.a}" }, { label = "role", match = "equal", value = "${spec.b}" }]`;
    case "in_list":
      return `[{ label = "role", match = "in_list", value = ["${spec.b}", "mail"] }]`;
    case "swith":
      return `[{ hostname = true, match = "swith", value = "${spec.a}" }, { label = "env", match = "equal", value = "prod" }]`;
    case "ewith":
      return `[{ hostname = true, match = "ewith", value = ".${spec.a}.example.com" }]`;
    case "regex":
      return `[{ hostname = true, match = "regex", value = "${spec.a}\\\\d+\\\\.${SITES[0]}" }]`;
    case "in":
      return `[{ hostname = true, match = "in", value = "${spec.a}" }, { label = "role", match = "equal", value = "${spec.b}" }]`;
    case "not_equal":
      return `[{ label = "site", match = "equal", value = "${spec.a}", negate = true }, { label = "role", match = "equal", value = "${spec.b}" }]`;
    case "bool":
      return `[{ label = "monitored", match = "bool", value = false }, { label = "site", match = "equal", value = "${spec.a}" }]`;
    case "any":
      return `[{ label = "site", match = "equal", value = "${spec.a}" }, { label = "role", match = "equal", value = "${spec.b}" }]`;
    case "inventory":
      return `[{ inventory = "cmdb__ram_gb", match = "equal", value = ${spec.a} }, { label = "role", match = "equal", value = "${spec.b}" }]`;
  }
}

function valueToml(spec: Spec): string {
  if (spec.template === "folder") return `"/{{ labels.site }}/{{ labels.role | default: 'misc' }}/${spec.constant}"`;
  if (spec.template === "short") return `"{{ hostname | split: '.' | first | upcase }}"`;
  return `"${spec.constant}"`;
}

function rulesToml(all: Spec[], target: string): string {
  return all
    .map((spec, i) => `[[rules]]\nname = "rule ${i} (${spec.kind})"\ntarget = "${target}"\n${spec.kind === "any" ? 'match = "any"\n' : ""}conditions = ${conditionsToml(spec)}\n[rules.set]\n${spec.key} = ${valueToml(spec)}\n`)
    .join("\n");
}

/** The same rules written directly: one loop, each kind's comparison spelled out. */
function direct(all: Spec[]) {
  const lowered = all.map((spec) => ({ ...spec, a: spec.a.toLowerCase(), b: spec.b.toLowerCase(), regex: new RegExp(`^(?:${spec.a}\\d+\\.${SITES[0]})`, "i"), ram: Number(spec.a), dot: `.${spec.a}.example.com` }));
  return (host: HostData) => {
    const hostname = host.hostname.toLowerCase();
    const site = host.labels.site?.toLowerCase();
    const role = host.labels.role?.toLowerCase();
    const outcomes: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    for (const spec of lowered) {
      let hit: boolean;
      switch (spec.kind) {
        case "equal":
          hit = site === spec.a && role === spec.b;
          break;
        case "in_list":
          hit = role === spec.b || role === "mail";
          break;
        case "swith":
          hit = hostname.startsWith(spec.a) && host.labels.env?.toLowerCase() === "prod";
          break;
        case "ewith":
          hit = hostname.endsWith(spec.dot);
          break;
        case "regex":
          hit = spec.regex.test(host.hostname);
          break;
        case "in":
          hit = hostname.includes(spec.a) && role === spec.b;
          break;
        case "not_equal":
          hit = site !== undefined && site !== spec.a && role === spec.b;
          break;
        case "bool":
          hit = host.labels.monitored?.toLowerCase() === "false" && site === spec.a;
          break;
        case "any":
          hit = site === spec.a || role === spec.b;
          break;
        case "inventory":
          hit = host.inventory.cmdb__ram_gb === spec.ram && role === spec.b;
          break;
      }
      if (!hit) continue;
      const value =
        spec.template === "folder"
          ? `/${host.labels.site ?? ""}/${host.labels.role || "misc"}/${spec.constant}`
          : spec.template === "short"
            ? host.hostname.split(".")[0]!.toUpperCase()
            : spec.constant;
      if (spec.key === "folder") outcomes.folder = value;
      else if (spec.key.startsWith("labels.")) ((outcomes.labels ??= {}) as Record<string, unknown>)[spec.key.slice(7)] = value;
      else attributes[spec.key] = value;
    }
    return { labels: Object.keys(attributes).length ? { ...host.labels, ...attributes } : host.labels, outcomes };
  };
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
console.log(`load average (1, 5, 15 min): ${load()} on ${navigator.hardwareConcurrency} cores`);

const all = specs();
const config = parseConfig(rulesToml(all, "checkmk"), "/bench/sync.config.toml", {});
const { book, problems } = compileRules(config, { plugins: new Map([["checkmk", ["folder", "labels.*", "*"]]]), accounts: new Map() });
if (problems.length > 0) throw new Error(`the bench's rules do not compile: ${problems[0]!.message}`);
const target = book.forTarget("checkmk");
const byHand = direct(all);
const hosts = Array.from({ length: HOSTS }, (_, i) => hostAt(i));

// Both ways must agree on every host before either is timed.
let matched = 0;
for (const host of hosts) {
  const engine = target.evaluate(host);
  if (!engine.ok) throw new Error(engine.message);
  const expected = byHand(host);
  if (JSON.stringify({ labels: engine.host.labels, outcomes: engine.host.outcomes }) !== JSON.stringify(expected)) {
    throw new Error(`the engine and the direct version disagree on ${host.hostname}:\n${JSON.stringify(engine.host)}\n${JSON.stringify(expected)}`);
  }
  matched += target.explain(host).rules.filter((rule) => rule.matched).length;
}

function best(run: () => void): number {
  let fastest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

let sink = 0;
const engineMs = best(() => {
  for (const host of hosts) {
    const result = target.evaluate(host);
    if (result.ok) sink += result.ignored ? 0 : 1;
  }
});
const directMs = best(() => {
  for (const host of hosts) sink += byHand(host).labels === undefined ? 0 : 1;
});
const ratio = engineMs / directMs;
console.log(`rules: ${all.length} (${all.filter((spec) => spec.template).length} templated), hosts: ${HOSTS}, rules matched per host: ${(matched / HOSTS).toFixed(1)} (results checked equal; sink ${sink})`);
console.log(`engine (compiled rules)      ${engineMs.toFixed(0).padStart(6)} ms   goal ≤ 1000 ms: ${engineMs <= 1000 ? "met" : "NOT met"}`);
console.log(`direct TypeScript            ${directMs.toFixed(0).padStart(6)} ms`);
console.log(`ratio engine / direct        ${ratio.toFixed(2).padStart(6)} x    goal ≤ 3x: ${ratio <= 3 ? "met" : "NOT met"}`);
console.log(`load average after: ${load()}`);

// --- the Ansible inventory of the same hosts with the same rules (target ansible), as a whole process
const SYNCER = join(import.meta.dir, "..", "dist", "syncer");
if (!existsSync(SYNCER)) throw new Error(`${SYNCER} is missing: run npm run build first`);
const work = mkdtempSync(join(tmpdir(), "syncer-bench-rules-"));
const base = `[server]\ndata_dir = "data"\n[plugins.ansible]\ngroup_by = ["site"]\n`;
const plainConfig = join(work, "plain.toml");
const rulesConfig = join(work, "rules.toml");
writeFileSync(plainConfig, base);
writeFileSync(rulesConfig, base + rulesToml(all, "ansible"));
const migrated = Bun.spawnSync([SYNCER, "migrate", "--config", plainConfig], { stdout: "ignore", stderr: "pipe" });
if (migrated.exitCode !== 0) throw new Error(`syncer migrate failed: ${migrated.stderr.toString()}`);
seedInventoryHosts(join(work, "data", "syncer.db"), HOSTS, hostAt);

const out = join(work, "inventory.json");
const database = join(work, "data", "syncer.db");
/** Timed runs of the inventory; `computed`: its kept page answers dropped before each, as after a change of every host. */
function inventoryRuns(configPath: string, computed = false): number[] {
  const run = () => {
    if (computed) clearKeptAnswers(database);
    const started = performance.now();
    const result = Bun.spawnSync([SYNCER, "ansible", "inventory", "--list", "--config", configPath], { stdout: Bun.file(out), stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`syncer ansible inventory failed (${result.exitCode}): ${result.stderr.toString()}`);
    return performance.now() - started;
  };
  run(); // warm-up: the page cache, the compiled module
  return Array.from({ length: ROUNDS }, run);
}
console.log(`\nsyncer ansible inventory --list, ${HOSTS} hosts (load average ${load()})`);
const computedWithRules = inventoryRuns(rulesConfig, true);
const withRules = inventoryRuns(rulesConfig);
// What the process printed is what the rules give target ansible: every host, its variables from them.
const inventory = JSON.parse(readFileSync(out, "utf8")) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
const ansibleConfig = parseConfig(rulesToml(all, "ansible"), "/bench/sync.config.toml", {});
const ansible = compileRules(ansibleConfig, { plugins: new Map([["ansible", ["groups", "*"]]]), accounts: new Map() }).book.forTarget("ansible");
if (Object.keys(inventory._meta.hostvars).length !== HOSTS) throw new Error(`expected ${HOSTS} hosts in the inventory, found ${Object.keys(inventory._meta.hostvars).length}`);
for (let i = 0; i < HOSTS; i += 997) {
  const expected = ansible.evaluate(hostAt(i));
  if (!expected.ok) throw new Error(expected.message);
  const vars = inventory._meta.hostvars[expected.host.hostname];
  if (JSON.stringify(vars) !== JSON.stringify({ ...expected.host.labels, ...expected.host.inventory })) throw new Error(`host ${expected.host.hostname}: ${JSON.stringify(vars)}`);
}
const withoutRules = inventoryRuns(plainConfig);

// The daemon's share of the difference: the stored pages (JSON text) as target ansible receives them, in this process.
const { pageForTarget } = await import("../src/runs/target-page.ts");
const pageSize = ansibleConfig.inventory.page_size;
const encoder = new TextEncoder();
const storedPages = Array.from({ length: Math.ceil(HOSTS / pageSize) }, (_, page) => {
  const slice = hosts.slice(page * pageSize, (page + 1) * pageSize);
  return { json: encoder.encode(JSON.stringify(slice)), count: slice.length, hostnames: encoder.encode(slice.map((host) => host.hostname).join("\n")), last: slice.at(-1)!.hostname };
});
let applyMs = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  for (const stored of storedPages) await pageForTarget(ansible, stored, async () => []);
  applyMs = Math.min(applyMs, performance.now() - started);
}
rmSync(work, { recursive: true, force: true });
const withMs = median(withRules);
const withoutMs = median(withoutRules);
const computedMs = median(computedWithRules);
console.log(`with the 200 rules           ${withMs.toFixed(0).padStart(6)} ms   goal ≤ 1000 ms: ${withMs <= 1000 ? "met" : "NOT met"}  (runs: ${withRules.map((ms) => ms.toFixed(0)).join(", ")}; the pages' answers kept from the run before)`);
console.log(`  computed, nothing kept     ${computedMs.toFixed(0).padStart(6)} ms   (runs: ${computedWithRules.map((ms) => ms.toFixed(0)).join(", ")}; every page's rules and plugin call, as after a change of every host)`);
console.log(`without rules                ${withoutMs.toFixed(0).padStart(6)} ms   (runs: ${withoutRules.map((ms) => ms.toFixed(0)).join(", ")})`);
console.log(`ratio with / without         ${(withMs / withoutMs).toFixed(2).padStart(6)} x`);
console.log(`  of which the rules on the stored pages (parse, evaluate, write), in this process: ${applyMs.toFixed(0)} ms`);
console.log(`load average after: ${load()}`);
