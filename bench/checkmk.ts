/**
 * The checkmk plugin's export through the compiled binary against the contract-checking Checkmk fake on
 * loopback (every request and answer checked against Checkmk's OpenAPI contract, which costs the fake
 * several times a plain server: see bench/fakes.ts).
 *
 *   node_modules/.bin/bun bench/checkmk.ts [--hosts 100000] [--compare <old syncer binary>]      (after npm run build)
 *
 * Hosts come from a CSV import with labels site/role/os/env/rack and a rule giving each site its folder.
 * Goals (issue 16): the first export of 100k hosts ≤ 10 s; a second with nothing changed ≤ 2 s and no write;
 * with 1 % changed, only those hosts written. Each run's HTTP requests are printed per method and path, with the
 * CPU time the fake spent on them (it runs in this process), then a PASS or MISS line per goal with the load average.
 * With --compare, the unchanged export also runs with the old binary (on a database of its own, the same
 * inventory imported), alternating three times each against the same site, and the medians and their ratio
 * are printed (on a shared machine a ratio in one run says more than two runs' times).
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
const compareAt = process.argv.indexOf("--compare");
const OLD_BINARY = compareAt < 0 ? undefined : process.argv[compareAt + 1];
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

async function syncer(...args: string[]): Promise<{ ms: number; fakeMs: number; syncerMs: number; json: Record<string, any> }> {
  return syncerOf(BINARY, ...args);
}

// The old binary gets a database of its own (data-old): a newer build's migrations may have run on the new one's.
const oldConfig = join(dir, "old.sync.config.toml");

async function syncerOf(binary: string, ...args: string[]): Promise<{ ms: number; fakeMs: number; syncerMs: number; json: Record<string, any> }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const child = Bun.spawn([binary, ...args, "--config", binary === BINARY ? config : oldConfig, "--json"], { env: cleanEnv({ CHECKMK_SECRET: SECRET }), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`syncer ${args.join(" ")} failed (${code}): ${stdout}\n${stderr}`);
  await fake.server.settled();
  const spent = process.cpuUsage(cpu);
  const usage = child.resourceUsage();
  const syncerMs = usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1000 : 0;
  return { ms, fakeMs: (spent.user + spent.system) / 1000, syncerMs, json: JSON.parse(stdout) };
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
const writes = () => Object.entries(fake.server.requestCounts()).filter(([key]) => !key.startsWith("GET ")).reduce((sum, [, n]) => sum + n, 0);
const counts = ({ created, updated, unchanged, deleted, failed }: Record<string, number>) => `created ${created}, updated ${updated}, unchanged ${unchanged}, deleted ${deleted}, failed ${failed}`;

const goals: string[] = [];
const goal = (text: string, met: boolean, figure: string) => goals.push(`goal: ${text}: ${met ? "PASS" : "MISS"} ${figure} (load ${load()})`);

function run(name: string, result: { ms: number; fakeMs: number; syncerMs: number; json: Record<string, any> }) {
  const requests = fake.server.requestCount();
  console.log(`${name.padEnd(34)} ${Math.round(result.ms).toString().padStart(7)} ms   (${counts(result.json)}; ${requests} requests, ${writes()} writes; CPU: syncer and its sandbox ${Math.round(result.syncerMs)} ms, fake ${Math.round(result.fakeMs)} ms; load ${load()})`);
  console.log(fake.server.countsReport());
}

try {
  console.log(`load average (1, 5, 15 min): ${load()} on ${navigator.hardwareConcurrency} cores; ${HOSTS} hosts`);
  await writeImportCsv(join(dir, "hosts.csv"), HOSTS);
  await syncer("migrate");
  await syncer("csv", "import_hosts", "bench");
  // The fake compiles its contract checks on first use: done before the timing, which is the exporter's and the answers'.
  const exported = /^\/(domain-types|objects)\/(host_config|folder_config|activation_run)\//;
  for (const route of fake.server.checker.operations()) if (exported.test(route.template)) fake.server.checker.prepare(route);

  fake.server.resetCounts();
  const first = await syncer("checkmk", "export_hosts", "monitoring");
  run("first export", first);
  if (fake.site.hosts.size !== HOSTS) throw new Error(`the site holds ${fake.site.hosts.size} hosts, not ${HOSTS}`);
  goal(`first export of ${HOSTS} hosts ≤ 10000 ms`, first.ms <= 10_000, `${Math.round(first.ms)} ms`);
  fake.server.resetCounts();

  const second = await syncer("checkmk", "export_hosts", "monitoring");
  run("second export, nothing changed", second);
  goal("second export, nothing changed, ≤ 2000 ms", second.ms <= 2_000, `${Math.round(second.ms)} ms`);
  goal("second export, nothing changed, writes nothing", writes() === 0, `${writes()} writes`);
  fake.server.resetCounts();

  if (OLD_BINARY) {
    // Its own database, the same inventory; the site is the one the new binary exported to, unchanged for both.
    await Bun.write(oldConfig, (await Bun.file(config).text()).replace('data_dir = "data"', 'data_dir = "data-old"'));
    await syncerOf(OLD_BINARY, "migrate");
    await syncerOf(OLD_BINARY, "csv", "import_hosts", "bench");
    fake.server.resetCounts();
    const runs: Record<"new" | "old", { ms: number; cpu: number }[]> = { new: [], old: [] };
    for (let round = 0; round < 3; round++) {
      for (const [which, binary] of [["new", BINARY], ["old", OLD_BINARY]] as const) {
        const result = await syncerOf(binary, "checkmk", "export_hosts", "monitoring");
        if (result.json.unchanged !== HOSTS || writes() !== 0) throw new Error(`the ${which} binary's unchanged export did not find all ${HOSTS} hosts unchanged without a write`);
        runs[which].push({ ms: result.ms, cpu: result.syncerMs });
        console.log(`unchanged export, ${which} binary: ${Math.round(result.ms)} ms wall, CPU syncer and its sandbox ${Math.round(result.syncerMs)} ms (load ${load()})`);
      }
    }
    const middle = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    const [wallNew, wallOld] = [middle(runs.new.map((run) => run.ms)), middle(runs.old.map((run) => run.ms))];
    const [cpuNew, cpuOld] = [middle(runs.new.map((run) => run.cpu)), middle(runs.old.map((run) => run.cpu))];
    console.log(`compare (medians of 3): wall ${Math.round(wallNew)} ms vs ${Math.round(wallOld)} ms (${(wallNew / wallOld).toFixed(2)}x); CPU ${Math.round(cpuNew)} ms vs ${Math.round(cpuOld)} ms (${(cpuNew / cpuOld).toFixed(2)}x)`);
    fake.server.resetCounts();
  }

  await writeImportCsv(join(dir, "hosts.csv"), HOSTS, 100);
  await syncer("csv", "import_hosts", "bench");
  fake.server.resetCounts();
  const third = await syncer("checkmk", "export_hosts", "monitoring");
  run("export with 1 % changed", third);
  const changed = HOSTS / 100;
  goal(`export with 1 % changed writes only those ${changed} hosts`, third.json.updated === changed && third.json.created === 0 && third.json.deleted === 0, `${third.json.updated} updated, ${third.json.created} created in ${Math.round(third.ms)} ms`);
  for (const line of goals) console.log(line);
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
