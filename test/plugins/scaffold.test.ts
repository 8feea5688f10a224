import { describe, expect, test } from "bun:test";
import { existsSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { BINARY, listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

const ROOT = resolve(import.meta.dir, "..", "..");

describe("syncer plugins new", () => {
  test("scaffolds a plugin that builds and whose own tests pass against the real binary", () => {
    const parent = tempDir();
    const created = runSyncer(["plugins", "new", "acme_api", "--dir", parent]);
    expect(created.code).toBe(0);
    const dir = join(parent, "acme_api");
    expect(listTree(dir)).toEqual(
      expect.arrayContaining(["plugin.json", "package.json", "README.md", "src/index.ts", "sdk/index.ts", "sdk/host.ts", "test/plugin.test.ts", "test/harness.ts"]),
    );
    // The plugin's own `npm install` would fetch these same pinned packages; the repository's copy stands in.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    const env = { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, SYNCER_BIN: BINARY };
    const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    expect({ code: build.exitCode, stderr: build.stderr.toString().split("\n").filter((l) => /ERROR/.test(l)) }).toEqual({ code: 0, stderr: [] });
    expect(existsSync(join(dir, "build", "plugin.wasm"))).toBe(true);
    const tests = Bun.spawnSync([process.execPath, "test"], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
    const output = tests.stdout.toString() + tests.stderr.toString();
    expect(output).toContain(" 2 pass");
    expect(tests.exitCode).toBe(0);
    // And syncer itself accepts the folder as a plugin.
    const config = writeConfig(tempDir(), `[plugins]\ndirectories = [${JSON.stringify(parent)}]\n`);
    const info = runSyncer(["plugins", "info", "acme_api", "--json", "--config", config]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ ident: "acme_api", commands: ["import_hosts"] });
  }, 120_000);

  test("refuses an ident that is not one, and a folder that exists, changing nothing", () => {
    const parent = tempDir();
    const bad = runSyncer(["plugins", "new", "Bad-Name", "--dir", parent]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'Bad-Name' is not a plugin ident");
    expect(runSyncer(["plugins", "new", "twice", "--dir", parent]).code).toBe(0);
    const again = runSyncer(["plugins", "new", "twice", "--dir", parent]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect(listTree(parent).filter((p) => !p.startsWith("twice"))).toEqual([]);
  });
});
