/**
 * Cold start: time from spawning `dist/syncer serve` to its first 200 on /healthz, with a new data
 * directory (database created and migrated) and with an existing one. Baseline, measured in the same
 * run: a minimal Bun.serve program compiled the same way, spawned until its first 200, i.e. the
 * runtime's own floor. Run: `bun bench/startup.ts [runs]` after `npm run build`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, median, quantile, report } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const SYNCER = join(ROOT, "dist", "syncer");
const runs = Number(process.argv[2] ?? 15);
const work = mkdtempSync(join(tmpdir(), "syncer-bench-startup-"));

/** Spawns a server and returns milliseconds until GET /healthz answers 200. */
async function timeToHealthy(command: string[], port: number): Promise<number> {
  const started = performance.now();
  const child = Bun.spawn(command, { stdout: "ignore", stderr: "ignore" });
  try {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`${command[0]} exited with ${child.exitCode} before it was healthy`);
      await Bun.sleep(1);
    }
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}

// The baseline: the smallest compiled Bun HTTP server.
const bareSource = join(work, "bare.ts");
writeFileSync(bareSource, 'Bun.serve({ hostname: "127.0.0.1", port: Number(process.argv[2]), fetch: () => Response.json({ ok: true }) });\n');
const bare = join(work, "bare");
const compiled = Bun.spawnSync([process.execPath, "build", "--compile", bareSource, "--outfile", bare], { stdout: "ignore", stderr: "inherit" });
if (compiled.exitCode !== 0) throw new Error("compiling the baseline failed");

const samples = { bare: [] as number[], cold: [] as number[], warm: [] as number[] };
const warmDir = join(work, "warm");
for (let i = 0; i < runs + 1; i++) {
  const port = freePort();
  const coldDir = join(work, `cold-${i}`);
  const config = (dir: string) => {
    const path = join(work, `config-${i}-${dir.endsWith("warm") ? "w" : "c"}.toml`);
    writeFileSync(path, `[server]\nlisten = "127.0.0.1:${port}"\ndata_dir = "${dir}"\n[log]\nlevel = "warn"\n`);
    return path;
  };
  // Interleaved so drift on a shared machine hits all three alike; the first round is a warm-up.
  const b = await timeToHealthy([bare, String(port)], port);
  const c = await timeToHealthy([SYNCER, "serve", "--config", config(coldDir)], port);
  const w = await timeToHealthy([SYNCER, "serve", "--config", config(warmDir)], port);
  if (i > 0) {
    samples.bare.push(b);
    samples.cold.push(c);
    samples.warm.push(w);
  }
}
rmSync(work, { recursive: true, force: true });

console.log(`startup: ${runs} runs each, medians (p90 in brackets)`);
report("syncer serve, new database → healthy", median(samples.cold), median(samples.bare), "ms");
report("syncer serve, existing database → healthy", median(samples.warm), median(samples.bare), "ms");
console.log(
  `  p90: cold ${quantile(samples.cold, 0.9).toFixed(1)} ms, warm ${quantile(samples.warm, 0.9).toFixed(1)} ms, bare ${quantile(samples.bare, 0.9).toFixed(1)} ms`,
);
