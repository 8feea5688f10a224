import { describe, expect, test } from "bun:test";
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, runSyncer, tempDir } from "../helpers/binary.ts";
import { hasCommand } from "../helpers/requirements.ts";

const HAS_SYSTEMD_ANALYZE = hasCommand("systemd-analyze", "systemd");

/** Writes the unit `syncer systemd-unit args…` prints as syncer.service and runs `systemd-analyze verify` on it. */
function verify(args: string[]): { unit: string; code: number; output: string } {
  const generated = runSyncer(["systemd-unit", ...args]);
  // stderr may warn about a checkout under /home (ProtectHome=); the unit is on stdout either way.
  expect(generated.code).toBe(0);
  const dir = tempDir("syncer-unit-");
  const path = join(dir, "syncer.service");
  writeFileSync(path, generated.stdout);
  const result = Bun.spawnSync(["systemd-analyze", "verify", path], { stdout: "pipe", stderr: "pipe" });
  return { unit: generated.stdout, code: result.exitCode ?? -1, output: result.stdout.toString() + result.stderr.toString() };
}

/** verify may warn about the host's own units; only lines about ours count. */
const aboutOurUnit = (output: string) => output.split("\n").filter((line) => line.includes("syncer.service"));

describe("syncer systemd-unit", () => {
  test.if(HAS_SYSTEMD_ANALYZE)("prints a unit that systemd-analyze verify accepts", () => {
    const result = verify(["--binary", BINARY, "--credential", "netbox_token:/etc/syncer/credentials/netbox_token"]);
    expect(aboutOurUnit(result.output)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.unit).toContain(`ExecStart=${BINARY} serve --config /etc/syncer/sync.config.toml\n`);
    expect(result.unit).toContain("LoadCredential=netbox_token:/etc/syncer/credentials/netbox_token\n");
  });

  test.if(HAS_SYSTEMD_ANALYZE)("a binary and config whose paths have spaces, % and $ are quoted so systemd finds the binary", () => {
    const dir = join(tempDir("syncer-unit-"), "my syncer");
    mkdirSync(dir);
    const binary = join(dir, "syncer 100%");
    symlinkSync(BINARY, binary);
    const result = verify(["--binary", binary, "--config", "/etc/syncer/$site config.toml", "--user", "syncer"]);
    expect(aboutOurUnit(result.output)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.unit).toContain(`ExecStart="${dir}/syncer 100%%" serve --config "/etc/syncer/$$site config.toml"\n`);
  });

  test.if(HAS_SYSTEMD_ANALYZE)("systemd-analyze verify does reject a unit whose binary does not exist (the check above has teeth)", () => {
    const result = verify(["--binary", join(tempDir(), "no-such-syncer")]);
    expect(result.code).not.toBe(0);
    expect(aboutOurUnit(result.output).join("\n")).toContain("no-such-syncer");
  });

  test("by default the unit runs this very binary, with /etc/syncer/sync.config.toml", () => {
    const result = runSyncer(["systemd-unit"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ExecStart=${BINARY} serve --config /etc/syncer/sync.config.toml\n`);
  });

  test("--config names the service's config (made absolute) and is not read", () => {
    const dir = tempDir();
    const result = runSyncer(["systemd-unit", "--config", "missing.toml", "--binary", "/usr/local/bin/syncer"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ExecStart=/usr/local/bin/syncer serve --config ${join(dir, "missing.toml")}\n`);
  });

  test("a malformed --credential or --user is a usage error (exit 2) naming the flag", () => {
    for (const [args, mention] of [
      [["--credential", "token"], "--credential token: write NAME:PATH"],
      [["--credential", "a/b:/etc/x"], "--credential a/b:/etc/x"],
      [["--user", "1st"], "--user 1st"],
    ] as const) {
      const result = runSyncer(["systemd-unit", ...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(mention);
      expect(result.stdout).toBe("");
    }
  });

  test("warns on stderr, keeping stdout a clean unit, when the binary is where ProtectHome=yes hides it", () => {
    const result = runSyncer(["systemd-unit", "--binary", "/home/ops/syncer"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning: /home/ops/syncer is under /home");
    expect(result.stdout).toStartWith("# syncer.service");
    expect(result.stdout).not.toContain("warning");
  });

  test("warns on stderr when the syncer that runs it lies under /tmp, which PrivateTmp=yes replaces for the service", () => {
    // The operator's case: a binary unpacked into /tmp and run from there, without --binary.
    const dir = mkdtempSync("/tmp/syncer-unit-");
    try {
      const binary = join(dir, "syncer");
      try {
        linkSync(BINARY, binary);
      } catch {
        copyFileSync(BINARY, binary); // another filesystem
      }
      const result = runSyncer(["systemd-unit"], { binary });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`ExecStart=${binary} serve --config /etc/syncer/sync.config.toml\n`);
      expect(result.stderr).toContain(`warning: ${binary} is under /tmp, which PrivateTmp=yes replaces with an empty directory of the service's own`);
      // Run from where it belongs, it does not warn.
      expect(runSyncer(["systemd-unit", "--binary", "/usr/local/bin/syncer"]).stderr).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
