/**
 * Events with subscribers: a 100k-host import that changes every host (100k host.changed events), run
 * by `dist/syncer csv import_hosts` while `dist/syncer serve` delivers the event log, against the same
 * import with the daemon serving and no subscriber, in the same run on the same database.
 * Subscribers: two plugins (copies of the listener fixture, batches of 1000, each recording every batch
 * in its kv) and one webhook (a loopback server in this process that checks every signature).
 * Goals: the import with subscribers ≤ 1.3× the import without; every event delivered to every
 * subscriber ≤ 10 s after the import ended. Prints PASS or MISS.
 * Run: bun bench/events.ts [hosts] [rounds]   (npm run build first; the fixture plugins must be built: bun build.ts --fixtures)
 */
import { Database } from "bun:sqlite";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { signatureMatches } from "../test/helpers/webhooks.ts";
import { csvAccountConfig, importCsv, importRows, median } from "./lib.ts";

const HOSTS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "syncer");
const LISTENER = join(ROOT, "test", "fixtures", "plugins", "listener");
const SECRET = "bench-webhook-secret";
const SUBSCRIBERS = ["plugin:bench_a", "plugin:bench_b", "webhook:bench"];

if (!existsSync(join(LISTENER, "build", "plugin.wasm"))) throw new Error("the listener fixture is not built: bun build.ts --fixtures");

const dir = mkdtempSync(join(tmpdir(), "syncer-bench-events-"));
const env = { ...process.env, WEBHOOK_SECRET: SECRET };

/** Two subscriber plugins: the listener fixture under two idents, taking 1000 events a call. */
function subscriberPlugins(): string {
  const plugins = join(dir, "plugins");
  for (const ident of ["bench_a", "bench_b"]) {
    const target = join(plugins, ident);
    mkdirSync(target, { recursive: true });
    cpSync(join(LISTENER, "build"), join(target, "build"), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(LISTENER, "plugin.json"), "utf8"));
    manifest.ident = ident;
    delete manifest.$schema;
    manifest.hooks = [];
    manifest.subscriptions = { events: ["run.*", "host.*"], batch_size: 1000 };
    writeFileSync(join(target, "plugin.json"), JSON.stringify(manifest, null, 2));
  }
  return plugins;
}

/** The webhook's receiver: checks each signature, counts the events. */
let received = 0;
let badSignatures = 0;
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const body = await request.text();
    if (!signatureMatches(SECRET, body, request.headers.get("x-syncer-signature-256"))) {
      badSignatures++;
      return new Response(null, { status: 401 });
    }
    received += (JSON.parse(body) as { events: unknown[] }).events.length;
    return new Response(null, { status: 204 });
  },
});

const config = join(dir, "sync.config.toml");
const base = csvAccountConfig("hosts.csv").replace('data_dir = "data"\n', 'data_dir = "data"\nlisten = "127.0.0.1:0"\n');
const withSubscribers = `${base}[plugins]\ndirectories = ["${subscriberPlugins()}"]\n[[webhooks]]\nname = "bench"\nurl = "http://127.0.0.1:${receiver.port}/hook"\nsecret = "\${env:WEBHOOK_SECRET}"\nbatch_size = 1000\n`;

/** One import as a whole process; spawned, not run synchronously: the webhook's receiver in this process keeps answering meanwhile. */
async function importNow(): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn([BINARY, "csv", "import_hosts", "bench", "--json", "--config", config], { stdout: "pipe", stderr: "pipe", env });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`import failed: ${stdout}\n${stderr}`);
  const counts = JSON.parse(stdout);
  if (counts.created + counts.updated !== HOSTS) throw new Error(`expected ${HOSTS} hosts changed: ${stdout}`);
  return ms;
}

/** What the running daemon has logged: shown when the bench fails. */
let daemonLog = () => "";

async function startDaemon(): Promise<{ stop(): Promise<void> }> {
  const child = Bun.spawn([BINARY, "serve", "--config", config], { stdout: "ignore", stderr: "pipe", env });
  const reader = child.stderr.getReader();
  let log = "";
  const deadline = Date.now() + 30_000;
  while (!log.includes("serving http")) {
    const { value, done } = await reader.read();
    if (done || Date.now() > deadline) throw new Error(`syncer serve did not start:\n${log}`);
    log += new TextDecoder().decode(value);
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += new TextDecoder().decode(value);
    }
  })();
  daemonLog = () => log;
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

/** Until the daemon has recorded every subscriber (at its first start: their cursors at the newest event). */
async function subscribersRecorded(): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 30_000; await Bun.sleep(50)) {
    const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
    const count = db.query<{ n: number }, []>("SELECT count(*) AS n FROM event_subscribers").get()!.n;
    db.close();
    if (count === SUBSCRIBERS.length) return;
  }
  throw new Error(`the subscribers were not recorded:\n${daemonLog()}`);
}

/** When each subscriber caught up, in ms after the import ended, over all rounds. */
const caughtUp = new Map<string, number[]>(SUBSCRIBERS.map((name) => [name, []]));

/** Milliseconds until every subscriber's cursor reached the newest event (the webhook's receiver has them all). */
async function deliveredAfter(importEnded: number, measured = true): Promise<number> {
  const db = new Database(join(dir, "data", "syncer.db"), { readonly: true });
  const pending = new Set(SUBSCRIBERS);
  try {
    for (;;) {
      const latest = db.query<{ id: number }, []>("SELECT max(id) AS id FROM events").get()!.id;
      const cursors = db.query<{ name: string; cursor: number }, []>("SELECT name, cursor FROM event_subscribers").all();
      for (const name of pending) {
        if ((cursors.find((row) => row.name === name)?.cursor ?? 0) < latest) continue;
        pending.delete(name);
        if (measured) caughtUp.get(name)!.push(performance.now() - importEnded);
      }
      if (pending.size === 0) return performance.now() - importEnded;
      if (performance.now() - importEnded > Number(process.env.BENCH_DELIVERY_LIMIT_MS ?? 120_000)) throw new Error(`not delivered after 120 s: ${JSON.stringify(cursors)} of ${latest}\n${daemonLog().slice(-3000)}`);
      await Bun.sleep(20);
    }
  } finally {
    db.close();
  }
}

try {
  // Every import after the first changes every host: the CSVs alternate between two versions of each row.
  const versions = [importCsv(importRows(HOSTS)), importCsv(importRows(HOSTS, 1))];
  let version = 0;
  const next = () => writeFileSync(join(dir, "hosts.csv"), versions[version++ % 2]!);

  // Rounds alternate between a daemon without subscribers and one with them, so a machine whose load drifts
  // weighs on both alike. Before a measured import the subscribers have caught up (they hear the baseline's
  // events too): the import runs beside a daemon that is waiting for events, as it would in service.
  writeFileSync(config, base);
  next();
  await importNow(); // creates the hosts
  // A round with subscribers that is not measured: they are recorded, and their sandboxes started, as in a daemon in service.
  writeFileSync(config, withSubscribers);
  const warm = await startDaemon();
  await subscribersRecorded();
  next();
  await importNow();
  await deliveredAfter(performance.now(), false);
  await warm.stop();
  const without: number[] = [];
  const withSubs: number[] = [];
  const lags: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    writeFileSync(config, base);
    let daemon = await startDaemon();
    next();
    without.push(await importNow());
    await daemon.stop();

    writeFileSync(config, withSubscribers);
    daemon = await startDaemon();
    await subscribersRecorded();
    await deliveredAfter(performance.now(), false);
    next();
    const started = performance.now();
    const ms = await importNow();
    withSubs.push(ms);
    lags.push(await deliveredAfter(started + ms));
    await daemon.stop();
  }

  const ratio = median(withSubs) / median(without);
  const worstLag = Math.max(...lags);
  // Every event after the subscribers were first recorded: the warm-up's, the baselines' and the measured imports'.
  const expectedAtWebhook = (2 * ROUNDS + 1) * (HOSTS + 2);
  console.log(`${HOSTS.toLocaleString("en")} hosts, every host changed per import, ${ROUNDS} rounds each (whole process: dist/syncer csv import_hosts, daemon serving)`);
  console.log(`import, no subscriber                     ${median(without).toFixed(0).padStart(6)} ms (median of ${without.map((ms) => ms.toFixed(0)).join(", ")})`);
  console.log(`import, 2 subscriber plugins + 1 webhook  ${median(withSubs).toFixed(0).padStart(6)} ms (median of ${withSubs.map((ms) => ms.toFixed(0)).join(", ")})   ratio ${ratio.toFixed(2)}x`);
  console.log(`all events delivered after the import ended: ${lags.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s (worst ${(worstLag / 1000).toFixed(2)} s)`);
  for (const [name, lags] of caughtUp) console.log(`  ${name.padEnd(16)} caught up after ${lags.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s`);
  console.log(`webhook received ${received.toLocaleString("en")} events (expected ${expectedAtWebhook.toLocaleString("en")}), ${badSignatures} bad signatures`);
  const pass = ratio <= 1.3 && worstLag <= 10_000 && received === expectedAtWebhook && badSignatures === 0;
  console.log(`goals: import ≤ 1.30x (${ratio.toFixed(2)}x); delivered ≤ 10 s (${(worstLag / 1000).toFixed(2)} s): ${pass ? "PASS" : "MISS"}`);
} finally {
  receiver.stop(true);
  rmSync(dir, { recursive: true, force: true });
}
