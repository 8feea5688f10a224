/**
 * A 100k-host import through the csv plugin, end to end: `dist/syncer csv import_hosts` as a whole
 * process (start, sandbox, CSV parsing in the plugin, checks, plan, one transaction). Three runs on
 * one database: the first import, a re-import of unchanged data, a re-import with 10 % of the rows
 * changed. Baseline, measured in the same run: a raw bun:sqlite prepared upsert of the same rows
 * (hostname, owner, labels as JSON, times) into a table like ours, in one transaction.
 * Goals: first import ≤ 4× the raw upsert; unchanged re-import ≥ 200k hosts/s.
 * Run: bun bench/import.ts [hosts] [rounds] [--compare <binary>]. With --compare, another build (an older
 * dist/syncer kept aside) runs the same three imports in each round, right after this build, on a database of its own.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { csvAccountConfig, importCsv, importRows, median, rawUpsert } from "./lib.ts";

const positional = process.argv.slice(2).filter((arg, index, args) => !arg.startsWith("--") && args[index - 1] !== "--compare");
const HOSTS = Number(positional[0] ?? 100_000);
const ROUNDS = Number(positional[1] ?? 3);
const BINARY = resolve(import.meta.dir, "..", "dist", "syncer");
const compareAt = process.argv.indexOf("--compare");
const COMPARE = compareAt >= 0 ? resolve(process.argv[compareAt + 1]!) : undefined;
const rows = (changedEvery = 0) => importRows(HOSTS, changedEvery);

function syncer(config: string, binary = BINARY): { ms: number; counts: Record<string, number> } {
  const started = performance.now();
  const result = Bun.spawnSync([binary, "csv", "import_hosts", "bench", "--json", "--config", config], { stdout: "pipe", stderr: "pipe" });
  const ms = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`import failed: ${result.stdout}\n${result.stderr}`);
  return { ms, counts: JSON.parse(result.stdout.toString()) };
}

const startLoad = loadavg()[0]!.toFixed(2);
type Results = { first: number[]; unchanged: number[]; changed: number[] };
const results = { first: [] as number[], unchanged: [] as number[], changed: [] as number[], raw: [] as number[] };
const comparedResults: Results = { first: [], unchanged: [], changed: [] };

/** The three imports by `binary` in a folder of their own under `dir`, their times added to `into`. */
function importRound(dir: string, binary: string, into: Results): void {
  const config = join(dir, "sync.config.toml");
  writeFileSync(config, csvAccountConfig("hosts.csv"));
  const first = syncer(config, binary);
  if (first.counts.created !== HOSTS) throw new Error(`expected ${HOSTS} created: ${JSON.stringify(first.counts)}`);
  const unchanged = syncer(config, binary);
  if (unchanged.counts.unchanged !== HOSTS) throw new Error(`expected ${HOSTS} unchanged: ${JSON.stringify(unchanged.counts)}`);
  writeFileSync(config, csvAccountConfig("changed.csv"));
  const changed = syncer(config, binary);
  if (changed.counts.updated !== HOSTS / 10) throw new Error(`expected ${HOSTS / 10} updated: ${JSON.stringify(changed.counts)}`);
  into.first.push(first.ms);
  into.unchanged.push(unchanged.ms);
  into.changed.push(changed.ms);
}

for (let round = 0; round < ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), "syncer-bench-import-"));
  try {
    results.raw.push(rawUpsert(join(dir, "raw.db"), rows()));
    writeFileSync(join(dir, "hosts.csv"), importCsv(rows()));
    writeFileSync(join(dir, "changed.csv"), importCsv(rows(10)));
    importRound(dir, BINARY, results);
    if (COMPARE) {
      const other = join(dir, "compared");
      mkdirSync(other);
      for (const file of ["hosts.csv", "changed.csv"]) copyFileSync(join(dir, file), join(other, file));
      importRound(other, COMPARE, comparedResults);
    }
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
if (COMPARE) {
  console.log(`${COMPARE}, the same imports right after this build's in each round:`);
  line("  first import", median(comparedResults.first));
  line("  re-import, unchanged", median(comparedResults.unchanged));
  line("  re-import, 10 % changed", median(comparedResults.changed));
  console.log(`  this build / that one, unchanged re-import: ${(median(results.unchanged) / median(comparedResults.unchanged)).toFixed(2)}x (${results.unchanged.map((ms) => ms.toFixed(0)).join(", ")} vs ${comparedResults.unchanged.map((ms) => ms.toFixed(0)).join(", ")} ms)`);
}
