/**
 * The checkmk plugin's export through the compiled binary against the contract-checking Checkmk fake on
 * loopback (every request and answer checked against Checkmk's OpenAPI contract, which costs the fake
 * several times a plain server: see bench/fakes.ts).
 *
 *   node_modules/.bin/bun bench/checkmk.ts [--hosts 100000]      (after npm run build)
 *
 * Hosts come from a CSV import with labels site/role/os/env/rack and a rule giving each site its folder.
 * Goals (issue 16): the first export of 100k hosts ≤ 10 s; a second with nothing changed ≤ 2 s and no write;
 * with 1 % changed, only those hosts written. Each run's HTTP requests are printed per method and path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startCheckmkFake } from "../test/fakes/checkmk/fake.ts";
import { cleanEnv } from "../test/helpers/binary.ts";
import { csvAccountConfig, writeImportCsv } from "./lib.ts";

const at = process.argv.indexOf("--hosts");
const HOSTS = at < 0 ? 100_000 : Number(process.argv[at + 1]);
const BINARY = join(import.meta.dir, "..", "dist", "syncer");
const SECRET = "bench-automation-secret";

const dir = mkdtempSync(join(tmpdir(), "syncer-bench-checkmk-"));
const fake = startCheckmkFake({ users: [{ name: "automation", secret: SECRET, role: "admin" }] });
const config = join(dir, "sync.config.toml");
await Bun.write(
  config,
  csvAccountConfig("hosts.csv", 'label_columns = ["site", "role", "os", "env", "rack"]\n') +
    `[accounts.monitoring]\nplugin = "checkmk"\naddress = "${fake.address}"\nusername = "automation"\npassword = "\${env:CHECKMK_SECRET}"\n` +
    `[[rules]]\nname = "a folder per site"\ntarget = "checkmk"\nmatch = "anyway"\nset = { folder = "/sites/{{ labels.site }}", attributes = { alias = "{{ hostname | split: '.' | first }}" } }\n`,
);

async function syncer(...args: string[]): Promise<{ ms: number; json: Record<string, any> }> {
  const started = performance.now();
  const child = Bun.spawn([BINARY, ...args, "--config", config, "--json"], { env: cleanEnv({ CHECKMK_SECRET: SECRET }), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`syncer ${args.join(" ")} failed (${code}): ${stdout}\n${stderr}`);
  return { ms, json: JSON.parse(stdout) };
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
const writes = () => Object.entries(fake.server.requestCounts()).filter(([key]) => !key.startsWith("GET ")).reduce((sum, [, n]) => sum + n, 0);
const counts = ({ created, updated, unchanged, deleted, failed }: Record<string, number>) => `created ${created}, updated ${updated}, unchanged ${unchanged}, deleted ${deleted}, failed ${failed}`;

function run(name: string, ms: number, goalMs: number | null, json: Record<string, any>, extra = "") {
  const verdict = goalMs === null ? "" : ms <= goalMs ? `  goal ≤ ${goalMs} ms: met` : `  goal ≤ ${goalMs} ms: NOT met`;
  console.log(`${name.padEnd(34)} ${Math.round(ms).toString().padStart(7)} ms${verdict}   (${counts(json)}; load ${load()})${extra}`);
  console.log(fake.server.countsReport());
  fake.server.resetCounts();
}

try {
  console.log(`load average (1, 5, 15 min): ${load()} on ${navigator.hardwareConcurrency} cores; ${HOSTS} hosts`);
  await writeImportCsv(join(dir, "hosts.csv"), HOSTS);
  await syncer("migrate");
  await syncer("csv", "import_hosts", "bench");

  const first = await syncer("checkmk", "export_hosts", "monitoring");
  run("first export", first.ms, 10_000, first.json);
  if (fake.site.hosts.size !== HOSTS) throw new Error(`the site holds ${fake.site.hosts.size} hosts, not ${HOSTS}`);

  const second = await syncer("checkmk", "export_hosts", "monitoring");
  const secondWrites = writes();
  run("second export, nothing changed", second.ms, 2_000, second.json, `; writes: ${secondWrites} (goal 0: ${secondWrites === 0 ? "met" : "NOT met"})`);

  await writeImportCsv(join(dir, "hosts.csv"), HOSTS, 100);
  await syncer("csv", "import_hosts", "bench");
  const third = await syncer("checkmk", "export_hosts", "monitoring");
  const changed = HOSTS / 100;
  run("export with 1 % changed", third.ms, null, third.json, `; hosts written: ${third.json.updated} (goal ${changed}: ${third.json.updated === changed && third.json.created === 0 ? "met" : "NOT met"})`);
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
