/**
 * Drives the compiled binary (dist/syncer) the way an operator does: as a process, through its
 * arguments, environment, files and HTTP. `npm test` builds it first.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const BINARY = resolve(import.meta.dir, "..", "..", "dist", "syncer");

if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run \`npm run build\` (npm test does) before these tests`);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A clean environment: no SYNCER_*, systemd or colour variables leak in from the developer's shell. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(SYNCER_|STATE_DIRECTORY|CREDENTIALS_DIRECTORY|JOURNAL_STREAM|NO_COLOR|FORCE_COLOR)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export function runSyncer(args: string[], options: { cwd?: string; env?: Record<string, string>; binary?: string } = {}): RunResult {
  const result = Bun.spawnSync([options.binary ?? BINARY, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/**
 * runSyncer without blocking this process: for tests whose fakes (a Checkmk or NetBox stand-in) answer the
 * binary's requests from this same process, which a synchronous spawn would keep from ever answering.
 */
export async function runSyncerAsync(args: string[], options: { cwd?: string; env?: Record<string, string>; binary?: string } = {}): Promise<RunResult> {
  const child = Bun.spawn([options.binary ?? BINARY, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory removed when the test run ends (safe to call in tests and in hooks alike). */
export function tempDir(prefix = "syncer-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Writes a config file into `dir` and returns its path. */
export function writeConfig(dir: string, text: string, name = "sync.config.toml"): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Every path under `dir`, to show that a failing command created nothing. */
export function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

export interface RunningDaemon {
  url: string;
  process: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the daemon wrote to stderr so far (its log). */
  log(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Starts `syncer serve` and waits until it says where it listens. */
export async function startDaemon(args: string[], options: { cwd?: string; env?: Record<string, string>; binary?: string } = {}): Promise<RunningDaemon> {
  const child = Bun.spawn([options.binary ?? BINARY, "serve", ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let log = "";
  const decoder = new TextDecoder();
  const reader = child.stderr.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      log += decoder.decode(value, { stream: true });
    }
  })();
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (!url) {
    url = log.match(/serving (http:\/\/[^\s"]+)/)?.[1];
    if (url) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      await pump;
      throw new Error(`syncer serve did not start (exit ${child.exitCode}):\n${log}`);
    }
    await Bun.sleep(20);
  }
  return {
    url,
    process: child,
    log: () => log,
    async stop(signal = "SIGTERM") {
      child.kill(signal);
      const code = await child.exited;
      await pump;
      return code;
    },
  };
}
