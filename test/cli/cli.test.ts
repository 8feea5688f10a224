import { describe, expect, test } from "bun:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/cli/program.ts";
import { VERSION } from "../../src/core/version.ts";
import { probeConfinement } from "../../src/plugins/sandbox/confine.ts";
import { BINARY, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { hasCommand } from "../helpers/requirements.ts";
import { MANY_PROCESSES_TIMEOUT_MS } from "../helpers/timeouts.ts";

/** Every command path the CLI has, so a new command is covered without editing this test. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return [prefix, ...command.commands.flatMap((sub) => commandPaths(sub, [...prefix, sub.name()]))];
}

describe("the syncer CLI", () => {
  test("version prints the package version and what confines sandbox processes, as text and as JSON", () => {
    const text = runSyncer(["version"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toStartWith(`syncer ${VERSION} (bun `);
    const sandbox = probeConfinement();
    const landlock = "abi" in sandbox.landlock ? `Landlock ABI ${sandbox.landlock.abi}` : `no Landlock: ${sandbox.landlock.unavailable}`;
    expect(text.stdout.split("\n")[1]).toBe(`sandbox processes: ${sandbox.noNewPrivs ? "no_new_privs" : "no no_new_privs"}, ${landlock}`);
    const json = runSyncer(["version", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: VERSION, platform: `${process.platform}-${process.arch}`, sandbox });
    if (process.platform === "linux") expect(sandbox.noNewPrivs).toBe(true);
  });

  test("every command has --help, exiting 0", () => {
    const paths = commandPaths(buildProgram());
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) {
      const result = runSyncer([...path, "--help"]);
      expect({ path, code: result.code }).toEqual({ path, code: 0 });
      expect(result.stdout).toContain(`Usage: syncer${path.length ? " " + path.join(" ") : ""}`);
    }
  }, MANY_PROCESSES_TIMEOUT_MS); // one process per command, in a row

  test("the top-level help documents the exit codes and where the config is looked for", () => {
    const help = runSyncer(["--help"]).stdout;
    expect(help).toContain("Exit codes: 0 ok, 1 failure");
    expect(help).toContain("2 usage error");
    expect(help).toContain("$SYNCER_CONFIG");
  });

  test("usage errors exit 2 with a message", () => {
    for (const args of [["bogus"], ["version", "--frobnicate"], ["config"], ["serve", "extra-argument"]]) {
      const result = runSyncer(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr.length).toBeGreaterThan(0);
    }
  });

  test("no colour when the output is not a terminal", () => {
    const dir = tempDir();
    const config = writeConfig(dir, "");
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("\x1b[");
  });

  test.if(hasCommand("script", "bsdutils"))("colour on a terminal, unless NO_COLOR is set", () => {
    const dir = tempDir();
    const config = writeConfig(dir, "");
    // util-linux `script` runs the command on a pseudo-terminal.
    const onTty = (env: Record<string, string>) =>
      Bun.spawnSync(["script", "-qec", `${BINARY} config check --config ${config}`, "/dev/null"], {
        env: { PATH: process.env.PATH ?? "", TERM: "xterm", ...env },
        stdout: "pipe",
      }).stdout.toString();
    expect(onTty({})).toContain("\x1b[32mok");
    expect(onTty({ NO_COLOR: "1" })).not.toContain("\x1b[");
  });
});
