import { describe, expect, test } from "bun:test";
import { buildProgram } from "../../src/cli/program.ts";
import { BUILTIN_COMMANDS, firstWord, shortFormPlugin } from "../../src/cli/short-form.ts";

describe("what the command line names before the CLI loads", () => {
  test("the built-in command names are the program's own commands, every one", () => {
    // With a built-in command first, the program registers no plugin commands: what is left is syncer's own.
    const program = buildProgram(["bun", "syncer", "version"]);
    expect(new Set(program.commands.map((command) => command.name()))).toEqual(new Set(BUILTIN_COMMANDS));
  });

  test("the short form names its plugin: the first word, when a command follows and it is not syncer's own", () => {
    expect(shortFormPlugin(["csv", "import_hosts", "demo"])).toBe("csv");
    expect(shortFormPlugin(["--config", "x.toml", "ansible", "inventory", "--list"])).toBe("ansible");
    expect(shortFormPlugin(["-c", "x.toml", "ansible", "inventory"])).toBe("ansible");
  });

  test("anything else names no plugin: syncer's commands, a plugin without a command, help", () => {
    expect(shortFormPlugin(["hosts", "list"])).toBeUndefined();
    expect(shortFormPlugin(["run", "csv", "import_hosts"])).toBeUndefined();
    expect(shortFormPlugin(["csv"])).toBeUndefined();
    expect(shortFormPlugin(["csv", "import_hosts", "--help"])).toBeUndefined();
    expect(shortFormPlugin(["help", "csv"])).toBeUndefined();
    expect(shortFormPlugin([])).toBeUndefined();
  });

  test("the first word skips options and the config's path", () => {
    expect(firstWord(["--config", "hosts", "list"])).toBe("list");
    expect(firstWord(["--json", "hosts"])).toBe("hosts");
    expect(firstWord(["-c"])).toBeUndefined();
  });
});
