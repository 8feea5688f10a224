import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { BINARY, listTree, runSyncer, startDaemon, tempDir, writeConfig } from "../helpers/binary.ts";
import { FIXTURE_PLUGINS } from "../helpers/plugins.ts";

const EPHEMERAL = '[server]\nlisten = "127.0.0.1:0"\n';

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
