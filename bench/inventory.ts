/**
 * `syncer ansible inventory --list` for 100k hosts, as a whole process (start, reading the pages and
 * sending them to the sandboxes, which call the plugin; merge, output, exit), stdout to a file.
 * Goal: ≤ 500 ms. An unchanged inventory takes the pages' answers the run before kept (src/runs/answer-cache.ts):
 * the runs after the warm-up do; the same runs with those answers dropped first are printed too ("computed"),
 * what the first inventory after a change of every host costs.
 * Baseline, measured in the same run: the same document built in plain TypeScript in this process from
 * the same rows (bun:sqlite query, JSON.parse of labels and inventory, groups, JSON.stringify).
 * Then a breakdown of where the process spends its time, measured piece by piece in this process with
 * the same queries and the compiled plugin through the real runtime.
 * Run: `bun bench/inventory.ts [hosts] [runs] [--compare <binary>]` after `npm run build`. With --compare, another
 * build (an older dist/syncer kept aside) is timed too, its runs interleaved with this build's: on a shared machine
 * the two see the same load. It gets a database of its own, migrated by itself and seeded with the same hosts, since
 * an older build refuses a database a newer one migrated.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { clearKeptAnswers, median, report, seedInventoryHosts } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const SYNCER = join(ROOT, "dist", "syncer");
const positional = process.argv.slice(2).filter((arg, index, args) => !arg.startsWith("--") && args[index - 1] !== "--compare");
const HOSTS = Number(positional[0] ?? 100_000);
const RUNS = Number(positional[1] ?? 7);
const compareAt = process.argv.indexOf("--compare");
const COMPARE = compareAt >= 0 ? process.argv[compareAt + 1] : undefined;
const GOAL_MS = 500;
const work = mkdtempSync(join(tmpdir(), "syncer-bench-inventory-"));
const config = join(work, "sync.config.toml");
writeFileSync(config, `[server]\ndata_dir = "data"\n[plugins.ansible]\ngroup_by = ["site", "os"]\n`);

function syncer(args: string[], stdout: "ignore" | "pipe" | Bun.BunFile = "ignore", binary = SYNCER, configPath = config): void {
  const result = Bun.spawnSync([binary, ...args, "--config", configPath], { stdout, stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`syncer ${args.join(" ")} failed (${result.exitCode}): ${result.stderr.toString()}`);
}

// --- the database: migrated by syncer itself, hosts inserted directly
syncer(["migrate"]);
const databasePath = join(work, "data", "syncer.db");
seedInventoryHosts(databasePath, HOSTS);

// --- the whole process
const out = join(work, "inventory.json");
function comparedConfig(): string {
  const dir = join(work, "compared");
  const path = join(dir, "sync.config.toml");
  mkdirSync(dir);
  writeFileSync(path, readFileSync(config));
  syncer(["migrate"], "ignore", COMPARE!, path);
  seedInventoryHosts(join(dir, "data", "syncer.db"), HOSTS);
  return path;
}
/** Each build's runs, interleaved; `computed`: the pages' kept answers dropped before each run, as after a change of every host. */
function timeProcess(builds: [binary: string, configPath: string][], computed = false): number[][] {
  const times: number[][] = builds.map(() => []);
  for (const [binary, configPath] of builds) Bun.spawnSync([binary, "ansible", "inventory", "--list", "--config", configPath], { stdout: Bun.file(out) }); // warm-up
  for (let run = 0; run < RUNS; run++) {
    // This build last: the output checked below is its own.
    for (const [index, [binary, configPath]] of [...builds.entries()].reverse()) {
      if (computed) clearKeptAnswers(join(dirname(configPath), "data", "syncer.db"));
      const started = performance.now();
      const result = Bun.spawnSync([binary, "ansible", "inventory", "--list", "--config", configPath], { stdout: Bun.file(out), stderr: "pipe" });
      times[index]!.push(performance.now() - started);
      if (result.exitCode !== 0) throw new Error(`${binary} ansible inventory failed (${result.exitCode}): ${result.stderr.toString()}`);
    }
  }
  return times;
}
const builds: [string, string][] = COMPARE ? [[SYNCER, config], [COMPARE, comparedConfig()]] : [[SYNCER, config]];
const [computedProcess, computedCompared] = timeProcess(builds, true) as [number[], number[] | undefined];
const [wholeProcess, compared] = timeProcess(builds) as [number[], number[] | undefined];
const outputBytes = statSync(out).size;
const check = JSON.parse(readFileSync(out, "utf8"));
if (Object.keys(check._meta.hostvars).length !== HOSTS) throw new Error(`expected ${HOSTS} hosts in _meta.hostvars, found ${Object.keys(check._meta.hostvars).length}`);

// The floor of any syncer command: starting the binary.
const versionRuns: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  syncer(["version"]);
  versionRuns.push(performance.now() - started);
}

// --- the baseline: the same document in plain TypeScript, from the same rows, in this process
function nativeInventory(): string {
  const db = new Database(databasePath, { readonly: true });
  const rows = db
    .query<[string, string, string], []>("SELECT hostname, labels, inventory FROM hosts WHERE deleted_at IS NULL AND lifecycle = 'active' ORDER BY hostname")
    .values() as [string, string, string][];
  db.close();
  const hostvars: Record<string, Record<string, unknown>> = {};
  const groups = new Map<string, string[]>();
  const ungrouped: string[] = [];
  for (const [hostname, labelsText, inventoryText] of rows) {
    const labels = JSON.parse(labelsText) as Record<string, string>;
    hostvars[hostname] = { ...labels, ...JSON.parse(inventoryText) };
    let grouped = false;
    for (const label of ["site", "os"]) {
      const value = labels[label];
      if (value === undefined) continue;
      const name = `${label}_${value}`.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1");
      let members = groups.get(name);
      if (!members) groups.set(name, (members = []));
      members.push(hostname);
      grouped = true;
    }
    if (!grouped) ungrouped.push(hostname);
  }
  const document: Record<string, unknown> = { _meta: { hostvars }, all: { children: ["ungrouped", ...groups.keys()] }, ungrouped: { hosts: ungrouped } };
  for (const [name, hosts] of groups) document[name] = { hosts };
  return JSON.stringify(document);
}
const native: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const started = performance.now();
  nativeInventory();
  native.push(performance.now() - started);
}

console.log(`${HOSTS.toLocaleString("en")} hosts, 5 labels and 2 inventory keys each; output ${(outputBytes / 1e6).toFixed(1)} MB; median of ${RUNS} runs; load average ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores`);
report("syncer ansible inventory --list (process)", median(wholeProcess), median(native), "ms");
console.log(`  goal: ≤ ${GOAL_MS} ms: ${median(wholeProcess) <= GOAL_MS ? "PASS" : "MISS"} ${median(wholeProcess).toFixed(0)} ms (${(median(wholeProcess) / GOAL_MS).toFixed(2)}x the goal)`);
console.log(`  floor: \`syncer version\` process ${median(versionRuns).toFixed(1)} ms`);
report("  computed: no page answer kept (after a change of every host)", median(computedProcess), median(native), "ms");
if (compared && computedCompared) {
  const runs = (mine: number[], theirs: number[]) => `${mine.map((ms) => ms.toFixed(0)).join(", ")} vs ${theirs.map((ms) => ms.toFixed(0)).join(", ")}`;
  report(`the same, ${COMPARE} (runs interleaved)`, median(compared), median(native), "ms");
  console.log(`  this build / that one: ${(median(wholeProcess) / median(compared)).toFixed(2)}x (runs: ${runs(wholeProcess, compared)})`);
  console.log(`  computed, this build / that one: ${(median(computedProcess) / median(computedCompared)).toFixed(2)}x (runs: ${runs(computedProcess, computedCompared)})`);
}

// --- where the time goes, piece by piece in this process (the steps renderInventory and the CLI take)
const { parseConfig } = await import("../src/config/load.ts");
const { bindSetup } = await import("../src/plugins/setup.ts");
const { openSqliteStorage } = await import("../src/db/sqlite/storage.ts");
const { PluginRuntime } = await import("../src/plugins/runtime.ts");
const { renderInventory, InventoryMerger } = await import("../src/runs/inventory.ts");
const { bytesOf, joinHostKeyed, jsonPieces, PageHostnames, parseHostKeyed } = await import("../src/plugins/host-keyed.ts");
const { checkAnswer } = await import("../src/plugins/answers.ts");
const { createLogger } = await import("../src/core/logger.ts");
const { RawJson } = await import("../src/plugins/raw-json.ts");
const { SANDBOX_COMMANDS } = await import("../test/helpers/plugins.ts");

const parsed = parseConfig(readFileSync(config, "utf8"), config, {});
const setup = bindSetup(parsed, {});
const plugin = setup.registry.plugins.get("ansible")!;
const pluginOptions = setup.pluginOptions.get("ansible");
const pageSize = parsed.inventory.page_size;
const quietLog = () => createLogger({ level: "error", format: "text", write: () => {} });
const time = <T,>(fn: () => T): [T, number] => {
  const started = performance.now();
  const value = fn();
  return [value, performance.now() - started];
};
const timeAsync = async <T,>(fn: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
};

const storage = openSqliteStorage(databasePath);
const store = storage.hosts;
const [pages, readMs] = time(() => {
  const read: ReturnType<typeof store.eligiblePage>[] = [];
  for (let after = ""; ; ) {
    const page = store.eligiblePage(after, pageSize);
    read.push(page);
    if (page.count < pageSize) return read;
    after = page.last!;
  }
});
const runtime = new PluginRuntime(parsed, setup.registry, quietLog(), undefined, SANDBOX_COMMANDS.compiled);
const callPage = async (page: (typeof pages)[number]) => {
  const input = { hosts: new RawJson(page.json), host: null };
  const result = await runtime.callUnparsed(plugin, "inventory", { pluginOptions, input, pageHostnames: page.hostnames, answer: "inventory-page" });
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result;
};
const [, coldMs] = await timeAsync(() => callPage({ json: new TextEncoder().encode("[]"), count: 0, hostnames: new Uint8Array(0), last: null }));
await Promise.all([callPage(pages[0]!), callPage(pages[1] ?? pages[0]!)]); // both sandbox processes warm
const pluginMs: number[] = [];
const outcomes: Awaited<ReturnType<typeof callPage>>[] = [];
const [, serialMs] = await timeAsync(async () => {
  for (const page of pages) {
    const outcome = await callPage(page);
    pluginMs.push(outcome.ms);
    outcomes.push(outcome);
  }
});
const wasmMs = pluginMs.reduce((sum, ms) => sum + ms, 0);
// What the sandboxes do with the answers, redone here on the plain answers.
const plainAnswers = outcomes.map((outcome) => JSON.stringify(parseHostKeyed(joinHostKeyed(outcome.output, outcome.facts?.spliced ?? []))));
const answerBytes = plainAnswers.reduce((sum, text) => sum + text.length, 0);
const answerBytesOf = plainAnswers.map((text) => new TextEncoder().encode(text));
const [, cutAnswersMs] = time(() => answerBytesOf.forEach((bytes, index) => checkAnswer(bytes, "ansible", "inventory", "inventory-page", new PageHostnames(pages[index]!.hostnames))));
const [rendered, renderMs] = await timeAsync(() => renderInventory(setup, runtime, storage, { plugin }));
const [, chunksMs] = time(() => {
  for (const _ of rendered.chunks());
});
rendered.close();
runtime.close();
storage.close();
const merger = new InventoryMerger();
const [merged, mergeMs] = time(() => outcomes.map((outcome) => joinHostKeyed(outcome.output, outcome.facts?.spliced ?? [])).reduce((into, answer) => merger.merge(into, answer)));
const [pieces, piecesMs] = time(() => [...jsonPieces(merged)]);
const [, writeMs] = await timeAsync(async () => {
  const sink = Bun.file(join(work, "copy.json")).writer();
  for (const piece of pieces) sink.write(typeof piece === "string" ? piece : bytesOf(piece));
  await sink.end();
});

const row = (name: string, ms: number, note = "") => console.log(`  ${name.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms${note ? `  ${note}` : ""}`);
console.log(`breakdown, in this process (${pages.length} pages of up to ${pageSize}, ${parsed.sandbox.processes} sandbox processes):`);
row("start of the binary (syncer version)", median(versionRuns));
row("reading the pages (eligiblePage), done by the daemon", readMs);
row("first call of a new sandbox process", coldMs, "(spawn, module load; two run side by side)");
row("plugin (wasm) time, all pages", wasmMs, `(median page ${median(pluginMs).toFixed(1)} ms)`);
row("check and host-keyed cut of the answers, by sandboxes", cutAnswersMs, `(${(answerBytes / 1e6).toFixed(1)} MB of answers)`);
row("calls one by one: page read, wasm, answer cut, IPC", serialMs);
row("renderInventory as the CLI runs it (2 processes)", renderMs, "(cut + calls + merge + spool)");
row("  its document in chunks, read back from the spool", chunksMs);
row("joining and merging the pages (in memory)", mergeMs);
row("the merged document as JSON pieces", piecesMs);
row("writing them", writeMs);

rmSync(work, { recursive: true, force: true });
