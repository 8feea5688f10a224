import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { runSyncer, tempDir } from "../helpers/binary.ts";
import { LIFECYCLE_STATES } from "../../src/core/hosts.ts";
import { hasCommand } from "../helpers/requirements.ts";

/**
 * `syncer completion bash|zsh|fish` prints a completion script made from the command tree: every command,
 * subcommand and option `--help` shows, the built-in plugins' commands, and the values of choices.
 */

function script(shell: string): string {
  const result = runSyncer(["completion", shell], { cwd: tempDir() });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

/** What bash offers after `line` (a trailing space: a new word), with the script loaded as a user would. */
function bashCompletes(line: string): string[] {
  const dir = tempDir("syncer-completion-");
  const path = join(dir, "syncer.bash");
  writeFileSync(path, script("bash"));
  const words = line.split(" ");
  const probe = `source ${JSON.stringify(path)}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_syncer
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = Bun.spawnSync(["bash", "--norc", "--noprofile", "-c", probe], { stdout: "pipe", stderr: "pipe" });
  expect(result.stderr.toString()).toBe("");
  return result.stdout.toString().split("\n").filter(Boolean).sort();
}

const HAS = { zsh: hasCommand("zsh", "zsh"), fish: hasCommand("fish", "fish") };
const hasShell = (shell: "zsh" | "fish") => HAS[shell];

describe("syncer completion", () => {
  test("each shell gets a script naming the commands and subcommands, with its load instructions", () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const text = script(shell);
      for (const word of ["hosts", "plugins", "lifecycle", "import_hosts", "--config", "completion"]) expect({ shell, word, found: text.includes(word) }).toEqual({ shell, word, found: true });
      expect(text).toContain(`syncer completion ${shell}`);
    }
  });

  test("the bash script is valid bash (bash -n)", () => {
    const path = join(tempDir(), "syncer.bash");
    writeFileSync(path, script("bash"));
    const result = Bun.spawnSync(["bash", "-n", path], { stdout: "pipe", stderr: "pipe" });
    expect(result.stderr.toString()).toBe("");
    expect(result.exitCode).toBe(0);
  });

  test.if(hasShell("zsh"))("the zsh script is valid zsh (zsh -n)", () => {
    const path = join(tempDir(), "_syncer");
    writeFileSync(path, script("zsh"));
    expect(Bun.spawnSync(["zsh", "-n", path]).exitCode).toBe(0);
  });

  test.if(hasShell("fish"))("the fish script is valid fish (fish --no-execute)", () => {
    const path = join(tempDir(), "syncer.fish");
    writeFileSync(path, script("fish"));
    expect(Bun.spawnSync(["fish", "--no-execute", path]).exitCode).toBe(0);
  });

  test("bash completes commands, subcommands past options and their values, options, and choices", () => {
    expect(bashCompletes("syncer ho")).toEqual(["hosts"]);
    expect(bashCompletes("syncer --config x.toml hosts ")).toEqual(["delete", "help", "lifecycle", "list", "purge", "set", "show"]);
    expect(bashCompletes("syncer hosts list --la")).toEqual(["--label"]);
    expect(bashCompletes("syncer hosts list --label site=berlin --li")).toEqual(["--limit"]);
    expect(bashCompletes("syncer hosts lifecycle web01 ")).toEqual([...LIFECYCLE_STATES].sort());
    expect(bashCompletes("syncer csv ")).toEqual(["help", "import_hosts"]);
    expect(bashCompletes("syncer completion ")).toEqual(["bash", "fish", "zsh"]);
    // A value of an option without choices: nothing from the script, so bash falls back to file names.
    expect(bashCompletes("syncer --config ")).toEqual([]);
  });

  test.if(hasShell("zsh"))("zsh offers the same candidates, with descriptions (its completion functions stubbed to print)", () => {
    const path = join(tempDir(), "_syncer");
    writeFileSync(path, script("zsh"));
    const probe = `compdef() { :; }
_describe() { print -l -- "\${(@P)\${@[-1]}}"; }
compadd() { [[ $1 == -a ]] && print -l -- "\${(@P)2}"; }
_files() { print -- "<files>"; }
source ${JSON.stringify(path)}
words=("\${(@s: :)1}"); CURRENT=\${#words}
_syncer`;
    const offered = (line: string) => Bun.spawnSync(["zsh", "-f", "-c", probe, "zsh", line]).stdout.toString().split("\n").filter(Boolean);
    const hostsCommands = offered("syncer --config x.toml hosts ");
    expect(hostsCommands.map((line) => line.split(":")[0])).toEqual(["list", "show", "lifecycle", "set", "delete", "purge", "help"]);
    expect(hostsCommands).toContain("list:list hosts, sorted by name (filters combine)");
    expect(offered("syncer hosts lifecycle web01 ")).toEqual([...LIFECYCLE_STATES]);
    expect(offered("syncer hosts list --")).toContain("--label:only hosts with this label (repeatable)");
    expect(offered("syncer --config ")).toEqual(["<files>"]);
  });

  test.if(hasShell("fish"))("fish offers the same candidates, with descriptions (complete -C)", () => {
    const path = join(tempDir(), "syncer.fish");
    writeFileSync(path, script("fish"));
    const offered = (line: string) => Bun.spawnSync(["fish", "--no-config", "-c", `source ${JSON.stringify(path)}; complete -C ${JSON.stringify(line)}`]).stdout.toString().split("\n").filter(Boolean).sort();
    expect(offered("syncer ho")).toEqual(["hosts\tshow the inventory"]);
    expect(offered("syncer --config x.toml hosts ").map((line) => line.split("\t")[0])).toEqual(["delete", "help", "lifecycle", "list", "purge", "set", "show"]);
    expect(offered("syncer hosts lifecycle web01 ")).toEqual([...LIFECYCLE_STATES].sort());
    expect(offered("syncer hosts list --la")).toEqual(["--label\tonly hosts with this label (repeatable)"]);
  });

  test("an unknown shell is a usage error naming the ones there are", () => {
    const result = runSyncer(["completion", "tcsh"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bash, zsh, fish");
  });
});
