/**
 * HTTP load on `GET /api/v1/hosts/<name>` with a token, served by the compiled daemon (`dist/syncer
 * serve`: auth, validation, SQLite read, JSON), against bare Hono answering the same route with a
 * fixed host in a process of its own, in the same run. Then the same load on the daemon while a 100k-
 * host import runs (`dist/syncer csv import_hosts`, another process writing the same database).
 * The load generator is wrk (Debian package `wrk`), which rotates through 1000 hostnames.
 * Goal: ≥ 0.5× bare Hono's requests/s, 0 errors (non-2xx answers and socket errors).
 * Run: bun bench/api-load.ts [seconds] [connections]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./lib.ts";

const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 32);
const HOSTS = 100_000;
const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "syncer");

if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk is missing: apt-get install wrk");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "syncer-bench-api-"));
const hostname = (i: number) => `host${String(i).padStart(6, "0")}.example.com`;
const csv = (variant: string) =>
  ["host,site,role,os", ...Array.from({ length: HOSTS }, (_, i) => `${hostname(i)},site${i % 20},role${i % 7},${variant}${i % 3}`)].join("\n") + "\n";

/**
 * wrk script: each request asks for the next of `distinct` hosts spread over the inventory, with the
 * token. 1000 hosts: a working set the daemon's rendered-host cache holds; 100k: every host, mostly misses.
 */
function wrkScript(token: string, distinct: number): string {
  const path = join(dir, `load-${distinct}.lua`);
  writeFileSync(
    path,
    `local n = 0
request = function()
  n = (n + 1) % ${distinct}
  return wrk.format("GET", string.format("/api/v1/hosts/host%06d.example.com", (n * ${HOSTS / distinct}) % ${HOSTS}), { ["Authorization"] = "Bearer ${token}" })
end
`,
  );
  return path;
}

interface Load {
  rps: number;
  errors: number;
  p99: string;
}

/** Runs wrk against `url` and reads requests/s, latency p99, and errors (non-2xx/3xx and socket errors). */
function load(url: string, script: string): Load {
  const result = spawnSync("wrk", ["-t", "2", "-c", String(CONNECTIONS), "-d", `${SECONDS}s`, "--latency", "-s", script, url], { encoding: "utf8" });
  const out = result.stdout;
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? NaN);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${out}\n${result.stderr}`);
  return { rps, errors, p99: out.match(/\s99%\s+(\S+)/)?.[1] ?? "?" };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`${url} did not come up`);
}

const children: { kill(signal?: NodeJS.Signals): boolean }[] = [];
try {
  // Bare Hono: the same route shape answering a fixed host, no auth, no database.
  const barePort = freePort();
  writeFileSync(
    join(dir, "bare.ts"),
    `import { Hono } from ${JSON.stringify(join(ROOT, "node_modules", "hono", "dist", "index.js"))};
const host = ${JSON.stringify({ hostname: hostname(0), account: "bench", labels: { site: "site0", role: "role0", os: "os0" }, inventory: {}, lifecycle: "active", first_seen: new Date().toISOString(), last_seen: new Date().toISOString(), last_changed: new Date().toISOString(), deleted_at: null, delete_reason: null, changes: [] })};
const app = new Hono().get("/api/v1/hosts/:hostname", (c) => c.json({ ...host, hostname: c.req.param("hostname") }));
Bun.serve({ hostname: "127.0.0.1", port: ${barePort}, fetch: app.fetch });
`,
  );
  const bare = spawn(process.execPath, [join(dir, "bare.ts")], { stdio: "ignore" });
  children.push(bare);

  const port = freePort();
  const config = join(dir, "sync.config.toml");
  writeFileSync(join(dir, "hosts.csv"), csv("os"));
  writeFileSync(join(dir, "changed.csv"), csv("debian"));
  const account = (file: string) => `[server]\nlisten = "127.0.0.1:${port}"\ndata_dir = "data"\n[accounts.bench]\nplugin = "csv"\n[accounts.bench.custom_fields]\npath = "${file}"\nhostname_column = "host"\n`;
  writeFileSync(config, account("hosts.csv"));
  const imported = spawnSync(BINARY, ["csv", "import_hosts", "bench", "--config", config], { encoding: "utf8" });
  if (imported.status !== 0) throw new Error(`import failed: ${imported.stderr}`);
  const token = JSON.parse(spawnSync(BINARY, ["token", "create", "--name", "bench", "--scope", "hosts:read", "--json", "--config", config], { encoding: "utf8" }).stdout).token as string;
  const daemon = spawn(BINARY, ["serve", "--config", config], { stdio: "ignore" });
  children.push(daemon);
  await Promise.all([waitFor(`http://127.0.0.1:${barePort}/`), waitFor(`http://127.0.0.1:${port}/healthz`)]);
  const script = wrkScript(token, 1000);
  const spread = wrkScript(token, HOSTS);

  // Warm both, then measure alternately so drift on a shared machine hits both alike.
  load(`http://127.0.0.1:${barePort}`, script);
  load(`http://127.0.0.1:${port}`, script);
  const bareRun = load(`http://127.0.0.1:${barePort}`, script);
  const syncerRun = load(`http://127.0.0.1:${port}`, script);
  const spreadRun = load(`http://127.0.0.1:${port}`, spread);

  // The same load while another process imports 100k hosts into the same database, over and over, each
  // import changing every host. Their configs live elsewhere: the daemon's own file stays untouched.
  const importConfig = (file: string) => {
    const path = join(dir, `import-${file}.toml`);
    writeFileSync(path, `[server]\ndatabase = "${join(dir, "data", "syncer.db")}"\n[accounts.bench]\nplugin = "csv"\n[accounts.bench.custom_fields]\npath = "${join(dir, file)}"\nhostname_column = "host"\n`);
    return path;
  };
  const importConfigs = [importConfig("changed.csv"), importConfig("hosts.csv")];
  let importing = true;
  let imports = 0;
  const importLoop = (async () => {
    for (let variant = 0; importing; variant++) {
      const child = Bun.spawn([BINARY, "csv", "import_hosts", "bench", "--config", importConfigs[variant % 2]!], { stdout: "ignore", stderr: "pipe" });
      if ((await child.exited) !== 0) throw new Error(`import under load failed: ${await new Response(child.stderr).text()}`);
      imports++;
    }
  })();
  const underImport = load(`http://127.0.0.1:${port}`, script);
  importing = false;
  await importLoop;

  const line = (name: string, run: Load) =>
    console.log(`${name.padEnd(44)} ${run.rps.toFixed(0).padStart(8)} req/s   p99 ${run.p99.padStart(8)}   errors ${run.errors}   ratio to bare Hono ${(run.rps / bareRun.rps).toFixed(2)}x`);
  console.log(`GET /api/v1/hosts/<name>, ${HOSTS.toLocaleString("en")} hosts, wrk ${CONNECTIONS} connections × ${SECONDS} s`);
  line("bare Hono (fixed host, no auth, no database)", bareRun);
  line("syncer serve, 1000 hosts over and over", syncerRun);
  line(`syncer serve, all ${HOSTS / 1000}k hosts in turn`, spreadRun);
  line(`syncer serve, 1000 hosts, during imports (${imports} × 100k)`, underImport);
  const ratios = [syncerRun, spreadRun, underImport].map((run) => `${(run.rps / bareRun.rps).toFixed(2)}x`).join(" / ");
  console.log(`goal: ≥ 0.50x bare Hono with 0 errors (${ratios}; errors ${syncerRun.errors + spreadRun.errors + underImport.errors})`);
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Bun.sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
