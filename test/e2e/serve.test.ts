import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/core/version.ts";
import { BINARY, cleanEnv, listTree, runSyncer, startDaemon, tempDir, writeConfig } from "../helpers/binary.ts";
import { FIXTURE_PLUGINS } from "../helpers/plugins.ts";

const EPHEMERAL = '[server]\nlisten = "127.0.0.1:0"\n';

/**
 * `syncer serve` where it must refuse to start. Should it start anyway (the defect), it is killed after a
 * minute, far beyond a refusal's time, so the test fails on its exit code instead of hanging.
 */
function serveOnTakenPort(config: string) {
  const result = Bun.spawnSync([BINARY, "serve", "--config", config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe", timeout: 60_000 });
  return { code: result.exitCode, stderr: result.stderr.toString() };
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) return text.slice(0, text.indexOf("\n"));
  }
  return text;
}

describe("syncer serve", () => {
  test("serves /healthz with status, version and database, then stops cleanly on SIGTERM", async () => {
    const dir = tempDir();
    const config = writeConfig(dir, EPHEMERAL);
    const daemon = await startDaemon(["--config", config]);
    const response = await fetch(`${daemon.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", version: VERSION, database: "reachable" });
    expect(daemon.log()).toContain(`health: curl ${daemon.url}/healthz`);

    expect(await daemon.stop("SIGTERM")).toBe(0);
    expect(daemon.log()).toContain("SIGTERM received");
    expect(daemon.log()).toContain("stopped");
    // The database was closed properly: WAL checkpointed and its side files removed.
    expect(existsSync(join(dir, "data", "syncer.db"))).toBe(true);
    expect(existsSync(join(dir, "data", "syncer.db-wal"))).toBe(false);
    await expect(fetch(`${daemon.url}/healthz`)).rejects.toThrow();
  });

  test("SIGINT stops it too", async () => {
    const daemon = await startDaemon(["--config", writeConfig(tempDir(), EPHEMERAL)]);
    expect(await daemon.stop("SIGINT")).toBe(0);
    expect(daemon.log()).toContain("SIGINT received");
  });

  test("unknown routes answer 404 as JSON", async () => {
    const daemon = await startDaemon(["--config", writeConfig(tempDir(), EPHEMERAL)]);
    const response = await fetch(`${daemon.url}/api/nothing-here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { kind: "not_found", message: "no route for GET /api/nothing-here" } });
    await daemon.stop();
  });

  test("at debug level it logs one line per request; JSON log format gives JSON lines", async () => {
    const daemon = await startDaemon(["--config", writeConfig(tempDir(), `${EPHEMERAL}[log]\nlevel = "debug"\nformat = "json"\n`)]);
    await fetch(`${daemon.url}/healthz`);
    await daemon.stop();
    const lines = daemon.log().trim().split("\n").map((line) => JSON.parse(line));
    expect(lines).toContainEqual(expect.objectContaining({ level: "debug", msg: "request", method: "GET", path: "/healthz", status: 200 }));
  });

  test("a secret from the config never reaches the log", async () => {
    const dir = tempDir();
    const config = writeConfig(dir, `${EPHEMERAL}[log]\nlevel = "debug"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n[accounts.nb]\nplugin = "testkit"\npassword = "\${env:SYNCER_TEST_SECRET}"\naddress = "https://user:\${env:SYNCER_TEST_SECRET}@nb.example"\n`);
    const daemon = await startDaemon(["--config", config], { env: { SYNCER_TEST_SECRET: "do-not-log-me-123" } });
    await fetch(`${daemon.url}/healthz?token=do-not-log-me-123`);
    await daemon.stop();
    expect(daemon.log()).not.toContain("do-not-log-me-123");
  });

  test("a taken port: a clear error, exit 1, nothing created on disk", async () => {
    const blocker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("busy") });
    try {
      const dir = tempDir();
      const config = writeConfig(dir, `[server]\nlisten = "127.0.0.1:${blocker.port}"\n`);
      const before = listTree(dir);
      const result = runSyncer(["serve", "--config", config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: cannot listen on 127.0.0.1:${blocker.port}: address already in use (EADDRINUSE) (is another syncer running? change [server] listen)\n`);
      expect(listTree(dir)).toEqual(before);
    } finally {
      blocker.stop(true);
    }
  });

  test("a second syncer on a port a running one holds: exit 1 with the hint, and it leaves the database alone", async () => {
    const dir = tempDir();
    const first = await startDaemon(["--config", writeConfig(dir, EPHEMERAL)]);
    try {
      const address = first.url.slice("http://".length);
      // A run the second daemon would close as left behind, were it to open the database at all.
      const database = new Database(join(dir, "data", "syncer.db"));
      database.run("INSERT INTO runs (plugin, command, trigger, status, started_at) VALUES ('csv', 'import_hosts', 'cli', 'running', 1000)");
      database.close();
      // A config on the same database, and another one elsewhere, both naming the address in use.
      const elsewhere = tempDir();
      const sameDatabase = writeConfig(dir, `[server]\nlisten = "${address}"\ndatabase = "data/syncer.db"\n`, "second.toml");
      for (const config of [sameDatabase, writeConfig(elsewhere, `[server]\nlisten = "${address}"\n`)]) {
        const result = serveOnTakenPort(config);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`error: cannot listen on ${address}: address already in use (EADDRINUSE) (is another syncer running? change [server] listen)\n`);
      }
      expect(listTree(elsewhere)).toEqual(["sync.config.toml"]);
      const check = new Database(join(dir, "data", "syncer.db"), { readonly: true });
      expect(check.query("SELECT status FROM runs").all()).toEqual([{ status: "running" }]);
      check.close();
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await first.stop()).toBe(0);
    }
  }, 90_000);

  test("a port another program holds with SO_REUSEPORT (which would let a second socket share it): exit 1, nothing created", async () => {
    // Another process, so the kernel's port sharing between processes is what is tested.
    const holder = Bun.spawn([process.execPath, "-e", 'const s = Bun.serve({ hostname: "127.0.0.1", port: 0, reusePort: true, fetch: () => new Response("other") }); console.log(s.port); setInterval(() => {}, 1000);'], { stdout: "pipe", stderr: "inherit" });
    try {
      const port = Number(await firstLine(holder.stdout));
      expect(port).toBeGreaterThan(0);
      const dir = tempDir();
      const config = writeConfig(dir, `[server]\nlisten = "127.0.0.1:${port}"\n`);
      const result = serveOnTakenPort(config);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE) (is another syncer running? change [server] listen)\n`);
      expect(listTree(dir)).toEqual(["sync.config.toml"]);
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
  }, 90_000);

  test("a data directory that cannot be written: a clear error, exit 1, nothing created", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a-file"), "");
    // A path below a regular file cannot be created, even by root.
    const config = writeConfig(dir, `${EPHEMERAL}data_dir = "a-file/state"\n`);
    const before = listTree(dir);
    for (const command of ["serve", "migrate"]) {
      const result = runSyncer([command, "--config", config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: cannot create the data directory ${join(dir, "a-file", "state")}: a part of the path is not a directory (ENOTDIR)\n`);
    }
    expect(listTree(dir)).toEqual(before);
  });

  test("a database file that is not SQLite: a clear error, exit 1, the file untouched", () => {
    const dir = tempDir();
    const database = join(dir, "not-a.db");
    writeFileSync(database, "this is not a database, and it must stay as it is ".repeat(100));
    const config = writeConfig(dir, `${EPHEMERAL}database = "not-a.db"\n`);
    const result = runSyncer(["serve", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith(`error: cannot use the database ${database}: `);
    expect(Bun.file(database).size).toBe(5000);
    expect(listTree(dir)).toEqual(["not-a.db", "sync.config.toml"]);
  });
});

describe("the binary is self-contained", () => {
  test("copied alone into an empty directory, `version` and `serve --config` work", async () => {
    const alone = tempDir("syncer-alone-");
    const binary = join(alone, "syncer");
    copyFileSync(BINARY, binary);
    Bun.spawnSync(["chmod", "+x", binary]);
    const version = runSyncer(["version"], { cwd: alone, binary });
    expect(version.code).toBe(0);
    expect(version.stdout).toContain(VERSION);

    const elsewhere = tempDir();
    const config = writeConfig(elsewhere, EPHEMERAL);
    const daemon = await startDaemon(["--config", config], { cwd: alone, binary });
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    expect(await daemon.stop()).toBe(0);
    expect(daemon.log()).toContain("database migrated");
    expect(existsSync(join(elsewhere, "data", "syncer.db"))).toBe(true);
  });
});
