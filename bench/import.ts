/**
 * A 100k-host import through the csv plugin, end to end: `dist/syncer csv import_hosts` as a whole
 * process (start, sandbox, CSV parsing in the plugin, checks, plan, one transaction). Three runs on
 * one database: the first import, a re-import of unchanged data, a re-import with 10 % of the rows
 * changed. Baseline, measured in the same run: a raw bun:sqlite prepared upsert of the same rows
 * (hostname, owner, labels as JSON, times) into a table like ours, in one transaction.
 * Goals: first import ≤ 4× the raw upsert; unchanged re-import ≥ 200k hosts/s.
 * Run: bun bench/import.ts [hosts] [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { csvAccountConfig, importCsv, importRows, median, rawUpsert } from "./lib.ts";

const HOSTS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BINARY = resolve(import.meta.dir, "..", "dist", "syncer");
const rows = (changedEvery = 0) => importRows(HOSTS, changedEvery);

function syncer(config: string): { ms: number; counts: Record<string, number> } {
  const started = performance.now();
  const result = Bun.spawnSync([BINARY, "csv", "import_hosts", "bench", "--json", "--config", config], { stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`import failed: ${result.stdout}\n${result.stderr}`);
  return { ms, counts: JSON.parse(result.stdout.toString()) };
}

const startLoad = loadavg()[0]!.toFixed(2);
const results = { first: [] as number[], unchanged: [] as number[], changed: [] as number[], raw: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), "syncer-bench-import-"));
  try {
    results.raw.push(rawUpsert(join(dir, "raw.db"), rows()));
    writeFileSync(join(dir, "hosts.csv"), importCsv(rows()));
    writeFileSync(join(dir, "changed.csv"), importCsv(rows(10)));
    const config = join(dir, "sync.config.toml");
    writeFileSync(config, csvAccountConfig("hosts.csv"));
    const first = syncer(config);
    if (first.counts.created !== HOSTS) throw new Error(`expected ${HOSTS} created: ${JSON.stringify(first.counts)}`);
    const unchanged = syncer(config);
    if (unchanged.counts.unchanged !== HOSTS) throw new Error(`expected ${HOSTS} unchanged: ${JSON.stringify(unchanged.counts)}`);
    writeFileSync(config, csvAccountConfig("changed.csv"));
    const changed = syncer(config);
    if (changed.counts.updated !== HOSTS / 10) throw new Error(`expected ${HOSTS / 10} updated: ${JSON.stringify(changed.counts)}`);
    results.first.push(first.ms);
    results.unchanged.push(unchanged.ms);
    results.changed.push(changed.ms);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const raw = median(results.raw);
const line = (name: string, ms: number) =>
  console.log(`${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${Math.round(HOSTS / (ms / 1000)).toLocaleString("en").padStart(9)} hosts/s   ratio to raw upsert ${(ms / raw).toFixed(2)}x`);
console.log(`${HOSTS.toLocaleString("en")} hosts, median of ${ROUNDS} rounds (whole process: dist/syncer csv import_hosts); load average ${startLoad} at the start, ${loadavg()[0]!.toFixed(2)} at the end, ${availableParallelism()} cores`);
line("raw bun:sqlite prepared upsert", raw);
line("first import", median(results.first));
line("re-import, unchanged", median(results.unchanged));
line("re-import, 10 % changed", median(results.changed));
const firstRatio = median(results.first) / raw;
const unchangedRate = HOSTS / (median(results.unchanged) / 1000);
console.log(`goal: first import ≤ 4.00x raw: ${firstRatio <= 4 ? "PASS" : "MISS"} ${firstRatio.toFixed(2)}x`);
console.log(`goal: unchanged ≥ 200,000 hosts/s: ${unchangedRate >= 200_000 ? "PASS" : "MISS"} ${Math.round(unchangedRate).toLocaleString("en")}/s`);
