import { describe, expect, test } from "bun:test";
import { buildProgram } from "../../src/cli/program.ts";
import { BUILTIN_COMMANDS, firstWord, commandPlugin } from "../../src/cli/short-form.ts";

describe("what the command line names before the CLI loads", () => {
  test("the built-in command names are the program's own commands, every one", () => {
    // With a built-in command first, the program registers no plugin commands: what is left is syncer's own.
    const program = buildProgram(["bun", "syncer", "version"]);
    expect(new Set(program.commands.map((command) => command.name()))).toEqual(new Set(BUILTIN_COMMANDS));
  });

  test("a plugin's command names its plugin: the short form's first word, when a command follows and it is not syncer's own; run's second", () => {
    expect(commandPlugin(["csv", "import_hosts", "demo"])).toBe("csv");
    expect(commandPlugin(["--config", "x.toml", "ansible", "inventory", "--list"])).toBe("ansible");
    expect(commandPlugin(["-c", "x.toml", "ansible", "inventory"])).toBe("ansible");
    expect(commandPlugin(["run", "csv", "import_hosts", "demo"])).toBe("csv");
    expect(commandPlugin(["run", "--dry-run", "csv", "import_hosts"])).toBe("csv");
  });

  test("anything else names no plugin: syncer's commands, a plugin without a command, help", () => {
    expect(commandPlugin(["hosts", "list"])).toBeUndefined();
    expect(commandPlugin(["run", "csv"])).toBeUndefined();
    expect(commandPlugin(["run"])).toBeUndefined();
    expect(commandPlugin(["csv"])).toBeUndefined();
    expect(commandPlugin(["csv", "import_hosts", "--help"])).toBeUndefined();
    expect(commandPlugin(["help", "csv"])).toBeUndefined();
    expect(commandPlugin([])).toBeUndefined();
  });

  test("the first word skips options and the config's path", () => {
    expect(firstWord(["--config", "hosts", "list"])).toBe("list");
    expect(firstWord(["--json", "hosts"])).toBe("hosts");
    expect(firstWord(["-c"])).toBeUndefined();
  });
});
