/**
 * Syncer at a million hosts: memory and speed of the compiled binary, whole processes, for one or more builds
 * side by side (the old and the new build in the same run, interleaved per round).
 *
 * 1. First import of N hosts from a CSV (the columns of bench/import.ts, ~49 MB at 1M) by
 *    `syncer csv import_hosts bench`. Goals: peak RSS ≤ 300 MB; wall ≤ 2.5× a raw bun:sqlite prepared upsert of the
 *    same rows in one transaction (bench/import.ts's baseline, measured in this process in the same round).
 * 2. Re-import of the unchanged CSV. Goal: ≥ 300,000 hosts/s (N / wall seconds).
 * 3. `syncer ansible inventory --list` of N hosts (the hosts of bench/inventory.ts: 5 labels, 2 inventory keys,
 *    group_by site and os), stdout to a file. Goals: ≤ 3 s wall, peak RSS ≤ 250 MB. Run twice: first computed (no
 *    page answer kept, as after a change of every host: printed beside), then with the answers the first kept.
 * 4. `syncer serve` on the same N hosts: its RSS after start-up and a warm-up request, then GET
 *    /api/v1/inventory/ansible read to the end 3 times, then its RSS sampled for ~5 s. Goal: the last sample within
 *    50 MB of the RSS before the requests. A request that fails (an error status, a reset connection, a short answer)
 *    is counted and printed, and the daemon left to go quiet before the next one; the RSS figures are taken all the same.
 *
 * Peak RSS: the child's rusage maxRSS (Bun.spawn resourceUsage().maxRSS, in bytes; the kernel's ru_maxrss of
 * wait4) is the largest of the syncer process and the sandbox processes it started and reaped: the sandboxes count.
 * It has a floor, though: Bun.spawn starts a child with vfork, and at exec Linux raises the child's maxrss to the
 * high-water mark of the memory it leaves, the bench's own; so a child never reports less than the bench's VmHWM
 * at the time it was spawned. The bench therefore keeps its own memory small (the raw upsert's million rows and the
 * seeding run in child processes: `bun bench/lib.ts`), prints that floor, and judges a goal on the rusage figure
 * only where it lies above the floor (there it is exact); at or below the floor it says only "≤ floor", and the
 * goal is judged on the /proc figures instead. /proc/<pid>/status of the syncer and of its descendants is read
 * every 50 ms while it runs: VmHWM of the syncer pid itself, the largest VmHWM of a sandbox, and the largest sum of
 * VmRSS over the whole process tree at one sample; a process's own VmHWM owes nothing to its parent.
 * MB are 10^6 bytes. With several rounds each figure is the median. Each process's CPU time (user + system of
 * the syncer and the sandboxes it reaped) is printed beside its wall time, and for a second binary as a ratio to
 * the first: on a machine shared with other work the wall times say more about that work than about the build.
 *
 * The 100k figures of the import goals (≤ 4× raw, ≥ 200k hosts/s) stay with `bun bench/import.ts`.
 * Run: bun bench/scale.ts [--hosts N] [--rounds R] [--binary path ...]   (default 1,000,000 hosts, 1 round,
 * dist/syncer; build it first with `bun build.ts`). A 1M run takes minutes and a few GB of memory; `npm run bench`
 * (bench/run.ts) runs it at 100k.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { clearKeptAnswers, csvAccountConfig, freePort, median, writeImportCsv } from "./lib.ts";

const { values: options } = parseArgs({
  options: { hosts: { type: "string" }, rounds: { type: "string" }, binary: { type: "string", multiple: true } },
  strict: true,
});
const HOSTS = Number(options.hosts ?? 1_000_000);
const ROUNDS = Number(options.rounds ?? 1);
if (!Number.isInteger(HOSTS) || HOSTS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error("--hosts and --rounds take positive integers");
const BINARIES = (options.binary?.length ? options.binary : ["dist/syncer"]).map((given) => ({ given, path: isAbsolute(given) ? given : resolve(process.cwd(), given) }));
for (const binary of BINARIES) if (!existsSync(binary.path)) throw new Error(`no binary at ${binary.path} (build it: bun build.ts)`);

const GOALS = { importPeakMb: 300, importRatio: 2.5, unchangedRate: 300_000, listMs: 3000, listPeakMb: 250, daemonGrowthMb: 50 };
const SAMPLE_MS = 50;
/** Below this much available memory on the machine a measured process is killed and the bench stops. */
const MIN_AVAILABLE_MB = 1024;
const REQUESTS = 3;

const MB = (bytes: number) => bytes / 1e6;
const work = mkdtempSync(join(tmpdir(), "syncer-bench-scale-"));
const started = performance.now();
const startLoad = loadavg()[0]!.toFixed(2);

// --- /proc: the memory of a process and its descendants, while it runs

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), or undefined once the process is gone or a zombie. */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The pids below `root` (children, their children...), from the parent pid in /proc/<pid>/stat. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    let list = children.get(parent);
    if (!list) children.set(parent, (list = []));
    list.push(Number(name));
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length; ) {
    const next = children.get(queue.pop()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/** The bench's own high-water mark: the floor of a child's rusage maxRSS, were it spawned now. */
const ownHwm = () => statusBytes(process.pid, "VmHWM")!;

/** Runs bench/lib.ts as a program (its heavy setup tasks) in a child process; its stdout. */
function libTask(task: "raw-upsert" | "seed", database: string, hosts: number): string {
  const result = Bun.spawnSync([process.execPath, join(import.meta.dir, "lib.ts"), task, database, String(hosts)], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`bun bench/lib.ts ${task} failed (${result.exitCode}): ${result.stderr.toString()}`);
  return result.stdout.toString();
}

const availableBytes = () => Number(readFileSync("/proc/meminfo", "utf8").match(/^MemAvailable:\s+(\d+) kB/m)![1]) * 1024;

/** CPU time (user + system, clock ticks) of a process and its descendants so far. */
function cpuTicks(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...descendants(root)]) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks;
}

/** Waits until a process tree spends under 5 % of a core for a second (at most `limitMs`): work left by a dropped request done. */
async function waitQuiet(pid: number, limitMs = 120_000): Promise<void> {
  const ticksPerSecond = 100;
  for (const begun = performance.now(); performance.now() - begun < limitMs; ) {
    const before = cpuTicks(pid);
    await Bun.sleep(1000);
    if (cpuTicks(pid) - before < 0.05 * ticksPerSecond) return;
  }
}

/** Samples a process and its descendants every SAMPLE_MS until stopped; kills the process if the machine runs low. */
class Watch {
  mainHwm = 0;
  mainRssPeak = 0;
  sandboxHwm = 0;
  sandboxRssPeak = 0;
  treeRssPeak = 0;
  sandboxes = new Set<number>();
  lowMemory = false;
  private timer: ReturnType<typeof setInterval>;
  constructor(private pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }
  sample(): void {
    const rss = statusBytes(this.pid, "VmRSS");
    if (rss === undefined) return;
    this.mainRssPeak = Math.max(this.mainRssPeak, rss);
    this.mainHwm = Math.max(this.mainHwm, statusBytes(this.pid, "VmHWM") ?? 0);
    let sandboxRss = 0;
    for (const pid of descendants(this.pid)) {
      this.sandboxes.add(pid);
      sandboxRss += statusBytes(pid, "VmRSS") ?? 0;
      this.sandboxHwm = Math.max(this.sandboxHwm, statusBytes(pid, "VmHWM") ?? 0);
    }
    this.sandboxRssPeak = Math.max(this.sandboxRssPeak, sandboxRss);
    this.treeRssPeak = Math.max(this.treeRssPeak, rss + sandboxRss);
    if (availableBytes() < MIN_AVAILABLE_MB * 1e6) {
      this.lowMemory = true;
      process.kill(this.pid, "SIGKILL");
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const live = new Set<Bun.Subprocess>();
function cleanUp(): void {
  for (const child of live) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });

interface Measured {
  ms: number;
  /** CPU time, user + system, of the syncer and the sandboxes it reaped (wait4's rusage): less at the mercy of other work than `ms`. */
  cpuMs: number;
  maxRss: number;
  /** The bench's VmHWM when the child was spawned: its maxRss says nothing at or below this. */
  floor: number;
  mainHwm: number;
  sandboxHwm: number;
  treeRssPeak: number;
  sandboxes: number;
  stdout: string;
}

/**
 * The peak RSS a goal is judged on: rusage maxRSS where it lies above the floor (exact there: the largest of the
 * process and the sandboxes it reaped), else the largest VmHWM /proc showed (the process itself or a sandbox).
 */
const judgedPeak = (m: Pick<Measured, "maxRss" | "floor" | "mainHwm" | "sandboxHwm">) => (m.maxRss > m.floor ? m.maxRss : Math.max(m.mainHwm, m.sandboxHwm));
/** The rusage figure as it can be read: "≤ floor" when the floor hides it. */
const rusageText = (m: Pick<Measured, "maxRss" | "floor">) => (m.maxRss > m.floor ? `${MB(m.maxRss).toFixed(0)} MB` : `≤ ${MB(m.floor).toFixed(0)} MB (floor)`);

/** Runs a syncer command to its end, timed, its memory watched; stdout into a file when `stdoutFile` is given. */
async function measure(command: string[], stdoutFile?: string): Promise<Measured> {
  const floor = ownHwm();
  const begun = performance.now();
  const child = Bun.spawn(command, { stdout: stdoutFile ? Bun.file(stdoutFile) : "pipe", stderr: "pipe" });
  live.add(child);
  const watch = new Watch(child.pid);
  const stdout = stdoutFile ? Promise.resolve("") : new Response(child.stdout as ReadableStream).text();
  const stderr = new Response(child.stderr).text();
  const code = await child.exited;
  const ms = performance.now() - begun;
  watch.stop();
  live.delete(child);
  if (watch.lowMemory) throw new Error(`killed \`${command.join(" ")}\`: the machine had less than ${MIN_AVAILABLE_MB} MB available`);
  if (code !== 0) throw new Error(`\`${command.join(" ")}\` failed (${code}): ${await stdout}\n${await stderr}`);
  const usage = child.resourceUsage()!;
  return { ms, cpuMs: Number(usage.cpuTime.user + usage.cpuTime.system) / 1000, maxRss: usage.maxRSS, floor, mainHwm: watch.mainHwm, sandboxHwm: watch.sandboxHwm, treeRssPeak: watch.treeRssPeak, sandboxes: watch.sandboxes.size, stdout: await stdout };
}

/** How many hosts an inventory document holds in _meta.hostvars: its `"<host>.example.com":{` keys, counted as it streams. */
async function countHostvars(stream: ReadableStream<Uint8Array>): Promise<{ hosts: number; bytes: number }> {
  const needle = Buffer.from('.example.com":{');
  let carry = Buffer.alloc(0);
  let hosts = 0;
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    const text = Buffer.concat([carry, chunk]);
    let at = text.indexOf(needle);
    for (; at !== -1; at = text.indexOf(needle, at + needle.length)) hosts++;
    carry = text.subarray(Math.max(0, text.length - needle.length + 1));
  }
  return { hosts, bytes };
}

function syncerSync(binary: string, args: string[]): string {
  const result = Bun.spawnSync([binary, ...args], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`\`${binary} ${args.join(" ")}\` failed (${result.exitCode}): ${result.stderr.toString()}`);
  return result.stdout.toString();
}

// --- results, per binary, one entry per round

interface DaemonRound {
  startMs: number;
  before: number;
  peak: number;
  hwm: number;
  sandboxPeak: number;
  after: number;
  afterSamples: number[];
  sandboxAfter: number;
  requestMs: number[];
  /** What went wrong with the requests that did not bring the whole inventory. */
  failures: string[];
  bytes: number;
  maxRss: number;
}
const results = BINARIES.map(() => ({ first: [] as Measured[], unchanged: [] as Measured[], listComputed: [] as Measured[], list: [] as Measured[], daemon: [] as DaemonRound[], listBytes: 0 }));
const raw: number[] = [];
const order = (round: number) => BINARIES.map((_, index) => (index + round) % BINARIES.length);
const say = (text: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${text}`);

try {
  say(`${HOSTS.toLocaleString("en")} hosts, ${ROUNDS} round(s), ${BINARIES.length} binar${BINARIES.length > 1 ? "ies" : "y"}; ${Math.round(MB(availableBytes())).toLocaleString("en")} MB available; work in ${work}`);
  const csvPath = join(work, "hosts.csv");
  const csvBytes = await writeImportCsv(csvPath, HOSTS);

  // The inventory databases, one per binary: migrated by that binary (its schema), the hosts of bench/inventory.ts.
  const inventories = BINARIES.map((binary, index) => {
    const dir = join(work, `inventory-${index}`);
    const config = join(dir, "sync.config.toml");
    const write = (port: number) => writeFileSync(config, `[server]\nlisten = "127.0.0.1:${port}"\ndata_dir = "data"\n[log]\nlevel = "warn"\n[plugins.ansible]\ngroup_by = ["site", "os"]\n`);
    mkdirSync(dir, { recursive: true });
    write(freePort());
    syncerSync(binary.path, ["migrate", "--config", config]);
    say(`seeding ${HOSTS.toLocaleString("en")} hosts for ${binary.given}`);
    libTask("seed", join(dir, "data", "syncer.db"), HOSTS);
    const token = JSON.parse(syncerSync(binary.path, ["token", "create", "--name", "bench", "--scope", "admin", "--json", "--config", config])).token as string;
    return { dir, config, write, token };
  });

  for (let round = 0; round < ROUNDS; round++) {
    // The baseline of goal 1: bench/import.ts's raw upsert of the same rows, in a child (see libTask).
    {
      raw.push(Number(libTask("raw-upsert", join(work, "raw.db"), HOSTS)));
      for (const suffix of ["", "-wal", "-shm"]) rmSync(join(work, `raw.db${suffix}`), { force: true });
      say(`round ${round + 1}: raw upsert ${raw.at(-1)!.toFixed(0)} ms`);
    }

    // 1 and 2: the first import and the unchanged re-import, each binary into a database of its own.
    for (const index of order(round)) {
      const binary = BINARIES[index]!;
      const dir = mkdtempSync(join(work, "import-"));
      const config = join(dir, "sync.config.toml");
      writeFileSync(config, csvAccountConfig(csvPath));
      const command = [binary.path, "csv", "import_hosts", "bench", "--json", "--config", config];
      const first = await measure(command);
      const firstCounts = JSON.parse(first.stdout);
      if (firstCounts.created !== HOSTS) throw new Error(`${binary.given}: expected ${HOSTS} created: ${first.stdout.slice(0, 500)}`);
      say(`${binary.given}: first import ${first.ms.toFixed(0)} ms (CPU ${first.cpuMs.toFixed(0)} ms), maxRSS ${rusageText(first)}, load ${loadavg()[0]!.toFixed(2)}`);
      const unchanged = await measure(command);
      const unchangedCounts = JSON.parse(unchanged.stdout);
      if (unchangedCounts.unchanged !== HOSTS) throw new Error(`${binary.given}: expected ${HOSTS} unchanged: ${unchanged.stdout.slice(0, 500)}`);
      say(`${binary.given}: unchanged re-import ${unchanged.ms.toFixed(0)} ms (CPU ${unchanged.cpuMs.toFixed(0)} ms), maxRSS ${rusageText(unchanged)}, load ${loadavg()[0]!.toFixed(2)}`);
      results[index]!.first.push(first);
      results[index]!.unchanged.push(unchanged);
      rmSync(dir, { recursive: true, force: true });
    }

    // 3: ansible inventory --list, stdout to a file: computed (no page answer kept, as after a change of every
    // host), then again with the answers the first run kept (src/runs/answer-cache.ts), as when nothing changed.
    for (const index of order(round)) {
      const binary = BINARIES[index]!;
      const { dir, config } = inventories[index]!;
      const out = join(dir, "inventory.json");
      clearKeptAnswers(join(dir, "data", "syncer.db"));
      for (const into of [results[index]!.listComputed, results[index]!.list]) {
        const list = await measure([binary.path, "ansible", "inventory", "--list", "--config", config], out);
        const counted = await countHostvars(Bun.file(out).stream());
        if (counted.hosts !== HOSTS) throw new Error(`${binary.given}: expected ${HOSTS} hosts in _meta.hostvars of --list, found ${counted.hosts}`);
        into.push(list);
        results[index]!.listBytes = statSync(out).size;
        rmSync(out);
        say(`${binary.given}: inventory --list${into === results[index]!.list ? ", answers kept" : ", computed"} ${list.ms.toFixed(0)} ms (CPU ${list.cpuMs.toFixed(0)} ms), maxRSS ${rusageText(list)}, load ${loadavg()[0]!.toFixed(2)}`);
      }
    }

    // 4: the daemon.
    for (const index of order(round)) {
      const binary = BINARIES[index]!;
      const { dir, config, write, token } = inventories[index]!;
      const port = freePort();
      write(port);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${token}` };
      const begun = performance.now();
      const daemon = Bun.spawn([binary.path, "serve", "--config", config], { stdout: Bun.file(join(dir, "serve.log")), stderr: Bun.file(join(dir, "serve.err")) });
      live.add(daemon);
      try {
        for (let up = false; !up; ) {
          if (daemon.exitCode !== null) throw new Error(`${binary.given}: serve exited (${daemon.exitCode}): ${readFileSync(join(dir, "serve.err"), "utf8")}`);
          if (performance.now() - begun > 120_000) throw new Error(`${binary.given}: serve did not answer /healthz within 120 s`);
          up = await fetch(`${base}/healthz`).then((answer) => answer.ok, () => false);
          if (!up) await Bun.sleep(50);
        }
        const startMs = performance.now() - begun;
        const warm = await fetch(`${base}/api/v1/hosts?limit=1`, { headers });
        if (!warm.ok) throw new Error(`${binary.given}: warm-up GET /api/v1/hosts: ${warm.status} ${await warm.text()}`);
        await warm.arrayBuffer();
        await Bun.sleep(2000);
        const before = statusBytes(daemon.pid, "VmRSS")!;

        const watch = new Watch(daemon.pid);
        const requestMs: number[] = [];
        let bytes = 0;
        const failures: string[] = [];
        for (let request = 0; request < REQUESTS; request++) {
          const sent = performance.now();
          // A failed request is a result, not the end of the bench: noted, then the daemon left to finish its work.
          const failure = await fetch(`${base}/api/v1/inventory/ansible`, { headers }).then(
            async (answer) => {
              if (!answer.ok) return `${answer.status} ${(await answer.text()).slice(0, 200)}`;
              const counted = await countHostvars(answer.body!);
              if (counted.hosts !== HOSTS) return `${counted.hosts} hosts in _meta.hostvars, not ${HOSTS}`;
              bytes = counted.bytes;
              return undefined;
            },
            (error) => String(error?.code ?? error?.message ?? error),
          );
          requestMs.push(performance.now() - sent);
          if (failure !== undefined) {
            failures.push(`${failure} after ${((performance.now() - sent) / 1000).toFixed(1)} s`);
            say(`${binary.given}: GET /api/v1/inventory/ansible failed: ${failures.at(-1)}; waiting for the daemon to go quiet`);
            await waitQuiet(daemon.pid);
          }
        }
        watch.stop();
        if (watch.lowMemory) throw new Error(`killed ${binary.given} serve: the machine had less than ${MIN_AVAILABLE_MB} MB available`);

        // No Bun.gc in the child: sample its RSS over ~5 s and take the last sample.
        const afterSamples: number[] = [];
        for (let sample = 0; sample < 5; sample++) {
          await Bun.sleep(1000);
          afterSamples.push(statusBytes(daemon.pid, "VmRSS")!);
        }
        const sandboxAfter = descendants(daemon.pid).reduce((sum, pid) => sum + (statusBytes(pid, "VmRSS") ?? 0), 0);
        const hwm = statusBytes(daemon.pid, "VmHWM")!;
        daemon.kill("SIGTERM");
        const deadline = setTimeout(() => daemon.kill("SIGKILL"), 15_000);
        await daemon.exited;
        clearTimeout(deadline);
        results[index]!.daemon.push({
          startMs,
          before,
          peak: Math.max(before, watch.mainRssPeak),
          hwm,
          sandboxPeak: watch.sandboxRssPeak,
          after: afterSamples.at(-1)!,
          afterSamples,
          sandboxAfter,
          requestMs,
          failures,
          bytes,
          maxRss: daemon.resourceUsage()?.maxRSS ?? 0,
        });
        say(`${binary.given}: serve RSS ${MB(before).toFixed(0)} → peak ${MB(watch.mainRssPeak).toFixed(0)} → ${MB(afterSamples.at(-1)!).toFixed(0)} MB`);
      } finally {
        if (daemon.exitCode === null) daemon.kill("SIGKILL");
        live.delete(daemon);
      }
    }
  }

  // --- the report: one column per binary
  const rows: [string, ...string[]][] = [];
  const section = (title: string) => rows.push([title]);
  const row = (label: string, cell: (index: number) => string) => rows.push([`  ${label}`, ...BINARIES.map((_, index) => cell(index))]);
  const mb = (bytes: number) => `${MB(bytes).toFixed(0)} MB`;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const pick = (values: Measured[], key: keyof Omit<Measured, "stdout">) => median(values.map((value) => value[key]));
  const goal = (met: boolean, value: string) => `${met ? "PASS" : "MISS"} ${value}`;
  const rawMs = median(raw);
  const processRows = (key: "first" | "unchanged" | "list" | "listComputed") => {
    row("CPU time, user + system (syncer + sandboxes)", (i) => `${ms(pick(results[i]![key], "cpuMs"))}${i > 0 ? ` ${(pick(results[i]![key], "cpuMs") / pick(results[0]![key], "cpuMs")).toFixed(2)}x` : ""}`);
    row("peak RSS, judged (see below)", (i) => mb(median(results[i]![key].map(judgedPeak))));
    row("  rusage maxRSS (syncer or a sandbox it reaped)", (i) => rusageText({ maxRss: pick(results[i]![key], "maxRss"), floor: pick(results[i]![key], "floor") }));
    row("  VmHWM of the syncer pid (/proc, 50 ms)", (i) => mb(pick(results[i]![key], "mainHwm")));
    row("  largest VmHWM of a sandbox (/proc, 50 ms)", (i) => `${mb(pick(results[i]![key], "sandboxHwm"))} (${pick(results[i]![key], "sandboxes")} proc)`);
    row("  whole tree, largest sum of VmRSS", (i) => mb(pick(results[i]![key], "treeRssPeak")));
  };

  section(`1. first import, csv import_hosts (CSV ${(csvBytes / 1e6).toFixed(1)} MB)`);
  row("wall", (i) => `${ms(pick(results[i]!.first, "ms"))} ${(pick(results[i]!.first, "ms") / rawMs).toFixed(2)}x raw`);
  processRows("first");
  row(`goal: peak RSS ≤ ${GOALS.importPeakMb} MB`, (i) => goal(MB(median(results[i]!.first.map(judgedPeak))) <= GOALS.importPeakMb, mb(median(results[i]!.first.map(judgedPeak)))));
  row(`goal: wall ≤ ${GOALS.importRatio}x raw upsert`, (i) => goal(pick(results[i]!.first, "ms") / rawMs <= GOALS.importRatio, `${(pick(results[i]!.first, "ms") / rawMs).toFixed(2)}x`));
  section("2. re-import, unchanged");
  const rate = (i: number) => HOSTS / (pick(results[i]!.unchanged, "ms") / 1000);
  row("wall", (i) => `${ms(pick(results[i]!.unchanged, "ms"))} ${Math.round(rate(i)).toLocaleString("en")}/s`);
  processRows("unchanged");
  row(`goal: ≥ ${GOALS.unchangedRate.toLocaleString("en")} hosts/s`, (i) => goal(rate(i) >= GOALS.unchangedRate, `${Math.round(rate(i)).toLocaleString("en")}/s`));
  section(`3. ansible inventory --list, stdout to a file (the pages' answers kept by a first, computed run)`);
  row("output", (i) => `${(results[i]!.listBytes / 1e6).toFixed(1)} MB`);
  row("wall", (i) => ms(pick(results[i]!.list, "ms")));
  processRows("list");
  row("computed: wall (no answer kept, as after a change of every host)", (i) => ms(pick(results[i]!.listComputed, "ms")));
  processRows("listComputed");
  row(`goal: wall ≤ ${GOALS.listMs / 1000} s`, (i) => goal(pick(results[i]!.list, "ms") <= GOALS.listMs, ms(pick(results[i]!.list, "ms"))));
  row(`goal: peak RSS ≤ ${GOALS.listPeakMb} MB`, (i) => goal(MB(median(results[i]!.list.map(judgedPeak))) <= GOALS.listPeakMb, mb(median(results[i]!.list.map(judgedPeak)))));
  section(`4. serve, GET /api/v1/inventory/ansible read ${REQUESTS} times`);
  const daemon = (i: number, key: keyof Omit<DaemonRound, "afterSamples" | "requestMs" | "failures">) => median(results[i]!.daemon.map((round) => round[key]));
  row("start-up to /healthz", (i) => ms(daemon(i, "startMs")));
  const failures = (i: number) => results[i]!.daemon.flatMap((round) => round.failures);
  row("requests (median), answer", (i) => `${ms(median(results[i]!.daemon.flatMap((round) => round.requestMs)))} ${daemon(i, "bytes") ? `${(daemon(i, "bytes") / 1e6).toFixed(1)} MB` : "none"}`);
  row("requests that failed", (i) => `${failures(i).length} of ${REQUESTS * ROUNDS}`);
  row("VmRSS before, after start-up + warm-up", (i) => mb(daemon(i, "before")));
  row("VmRSS peak during the requests (50 ms)", (i) => mb(daemon(i, "peak")));
  row("  sandboxes' VmRSS peak during, summed", (i) => mb(daemon(i, "sandboxPeak")));
  row("VmRSS after, samples 1 s apart", (i) => results[i]!.daemon.at(-1)!.afterSamples.map((value) => MB(value).toFixed(0)).join(" "));
  row("  sandboxes' VmRSS after, summed", (i) => mb(daemon(i, "sandboxAfter")));
  row("VmHWM of the daemon before SIGTERM", (i) => mb(daemon(i, "hwm")));
  row(`check: ${REQUESTS} answers of ${HOSTS.toLocaleString("en")} hosts`, (i) => goal(failures(i).length === 0, `${REQUESTS * ROUNDS - failures(i).length}/${REQUESTS * ROUNDS}`));
  row(`goal: after ≤ before + ${GOALS.daemonGrowthMb} MB`, (i) => goal(MB(daemon(i, "after") - daemon(i, "before")) <= GOALS.daemonGrowthMb, `${MB(daemon(i, "after") - daemon(i, "before")) >= 0 ? "+" : ""}${MB(daemon(i, "after") - daemon(i, "before")).toFixed(0)} MB`));

  const width = Math.max(...rows.filter((r) => r.length > 1).map((r) => r[0].length)) + 2;
  const columns = BINARIES.map((binary, i) => Math.max(binary.given.length, ...rows.map((r) => r[i + 1]?.length ?? 0)) + 3);
  const minutes = (performance.now() - started) / 60_000;
  console.log(`Syncer at ${HOSTS.toLocaleString("en")} hosts, ${ROUNDS === 1 ? "1 round" : `median of ${ROUNDS} rounds`}, ${BINARIES.length > 1 ? "binaries interleaved per phase; " : ""}MB = 10^6 bytes; took ${minutes.toFixed(1)} min`);
  console.log(`machine: ${availableParallelism()} cores, load average ${startLoad} at the start, ${loadavg()[0]!.toFixed(2)} at the end (other work on the machine skews the times)`);
  console.log(`baseline: raw bun:sqlite prepared upsert of the same rows, one transaction: ${rawMs.toFixed(0)} ms (${Math.round(HOSTS / (rawMs / 1000)).toLocaleString("en")} hosts/s)`);
  console.log(`peak RSS: the child's rusage maxRSS = the largest of the syncer process and the sandboxes it reaped, but never below the bench's own VmHWM when it spawned the child (vfork: Linux copies the parent's high-water mark at exec); that floor was ${BINARIES.map((_, i) => mb(Math.max(...[...results[i]!.first, ...results[i]!.unchanged, ...results[i]!.list].map((m) => m.floor)))).join(", ")} at most, and ${mb(ownHwm())} at the end.`);
  console.log("  judged: rusage maxRSS where above the floor, else the largest VmHWM in /proc (syncer pid or a sandbox); the /proc rows split them.");
  console.log(`${"".padEnd(width)}${BINARIES.map((binary, i) => binary.given.padStart(columns[i]!)).join("")}`);
  for (const [label, ...cells] of rows) console.log(cells.length ? `${label.padEnd(width)}${cells.map((cell, i) => cell.padStart(columns[i]!)).join("")}` : label);
  for (const [i, binary] of BINARIES.entries()) for (const failure of new Set(failures(i))) console.log(`${binary.given}: GET /api/v1/inventory/ansible failed: ${failure}`);
} finally {
  cleanUp();
}
