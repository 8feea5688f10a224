import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseManifest } from "../../src/plugins/manifest/load.ts";
import { discoverPlugins } from "../../src/plugins/registry.ts";
import { formatProblem, type Problem } from "../../src/core/problems.ts";

const TESTKIT = resolve(import.meta.dir, "..", "fixtures", "plugins", "testkit", "plugin.json");
const TESTKIT_TEXT = readFileSync(TESTKIT, "utf8");
const FILE = "/plugins/demo/plugin.json";

/** A fresh copy of the testkit manifest, to change one thing at a time. */
const testkit = (): Record<string, any> => JSON.parse(TESTKIT_TEXT);

/** The smallest valid manifest: every optional field left out. */
const minimal = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
  api_version: 1,
  ident: "demo",
  name: "Demo",
  version: "1.0.0",
  author: "Syncer tests",
  description: "A demo plugin",
  ...changes,
});

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "syncer-manifest-"));
  dirs.push(dir);
  return dir;
}

/** Writes <dir>/<folder>/plugin.json and returns the plugin folder. */
function writePlugin(dir: string, folder: string, manifest: unknown): string {
  const path = join(dir, folder);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "plugin.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest, null, 2));
  return path;
}

/** Parses a manifest that must be refused, and returns its problems. */
function refused(manifest: unknown): Problem[] {
  const result = parseManifest(typeof manifest === "string" ? manifest : JSON.stringify(manifest, null, 2), FILE);
  if (result.ok) throw new Error(`expected the manifest to be refused: ${JSON.stringify(manifest)}`);
  for (const problem of result.problems) expect(problem.file).toBe(FILE);
  return result.problems;
}

describe("parseManifest", () => {
  test("accepts the testkit manifest as written", () => {
    const result = parseManifest(TESTKIT_TEXT, TESTKIT);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    expect(result.manifest.ident).toBe("testkit");
    expect(Object.keys(result.manifest.commands)).toEqual(["hello", "echo", "spin"]);
    expect(result.manifest.options.mode).toEqual({ type: "choice", description: "A mode", choices: ["fast", "safe"], default: "safe", required: false, secret: false });
    expect(result.manifest.options.token).toMatchObject({ type: "string", secret: true, required: false });
    expect(result.manifest.permissions.http).toEqual({ hosts: [], reason: "fetches test pages from the account's address" });
  });

  test("fills every default a manifest leaves out", () => {
    const result = parseManifest(
      JSON.stringify(
        minimal({
          options: { note: { type: "string", description: "A note" } },
          commands: { pull: { kind: "import", description: "Pulls" } },
          hooks: [{ event: "host.pre_update", export: "on_update" }],
          permissions: { http: { reason: "talks to the API" } },
        }),
      ),
      FILE,
    );
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    const { manifest } = result;
    expect(manifest.enabled).toBe(true);
    expect(manifest.wasm).toBe("build/plugin.wasm");
    expect(manifest.account_presets).toEqual({});
    expect(manifest.account_custom_field_presets).toEqual({});
    expect(manifest.limits).toEqual({});
    expect(manifest.endpoints).toEqual([]);
    expect(manifest.inventory).toEqual([]);
    expect(manifest.commands.pull).toEqual({ kind: "import", description: "Pulls", account: "required", schedulable: true });
    expect(manifest.hooks).toEqual([{ event: "host.pre_update", export: "on_update", priority: 100 }]);
    expect(manifest.options.note).toEqual({ type: "string", description: "A note", required: false, secret: false });
    expect(manifest.permissions.http).toEqual({ hosts: [], reason: "talks to the API" });
  });

  test("a manifest with no options, commands or permissions gets empty ones", () => {
    const result = parseManifest(JSON.stringify(minimal()), FILE);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join("\n"));
    expect(result.manifest.options).toEqual({});
    expect(result.manifest.commands).toEqual({});
    expect(result.manifest.hooks).toEqual([]);
    expect(result.manifest.permissions).toEqual({});
  });

  test("refuses a wrong command kind, naming the file and field and listing the choices", () => {
    const manifest = testkit();
    manifest.commands.x = { kind: "importt", description: "Imports" };
    const [problem, ...more] = refused(manifest);
    expect(more).toEqual([]);
    expect(problem!.key).toBe("commands.x.kind");
    expect(problem!.message).toContain('"importt"');
    for (const kind of ["import", "inventorize", "export", "action"]) expect(problem!.message).toContain(`"${kind}"`);
    expect(formatProblem(problem!)).toStartWith(`${FILE}: commands.x.kind: expected one of`);
  });

  test("export phases belong to export commands: on another kind they are refused, naming the command", () => {
    const manifest = testkit();
    manifest.commands.sync = { kind: "export", description: "Exports", phases: { begin: "read_target", finish: "finish_export" } };
    expect(parseManifest(JSON.stringify(manifest), FILE).ok).toBe(true);
    manifest.commands.hello.phases = { begin: "read_target" };
    const [problem, ...more] = refused(manifest);
    expect(more).toEqual([]);
    expect(formatProblem(problem!)).toBe(`${FILE}: commands.hello.phases: only an export command has phases; this one is action`);
  });

  test("refuses a wrong type, saying what was expected and what was found", () => {
    const [problem] = refused(minimal({ enabled: "yes" }));
    expect(problem!.key).toBe("enabled");
    expect(problem!.message).toBe('expected a boolean, found "yes"');
  });

  test("refuses a manifest without an ident, naming the missing field", () => {
    const { ident: _ident, ...manifest } = testkit();
    const problems = refused(manifest);
    expect(problems).toEqual([{ file: FILE, key: "ident", message: "required key 'ident' is missing" }]);
  });

  test("refuses an ident that is not lower-case letters, digits and '_'", () => {
    const [problem] = refused(minimal({ ident: "Demo-Plugin" }));
    expect(problem!.key).toBe("ident");
    expect(problem!.message).toContain('found "Demo-Plugin"');
  });

  test("refuses an unknown key and suggests the one meant", () => {
    const [problem, ...more] = refused({ ...testkit(), descripton: "typo" });
    expect(more).toEqual([]);
    expect(problem!.key).toBe("descripton");
    expect(problem!.message).toStartWith("unknown key 'descripton'; did you mean 'description'?");
  });

  test("refuses an unknown key inside a command, suggesting the one meant", () => {
    const manifest = testkit();
    manifest.commands.hello.schedulabel = false;
    const [problem] = refused(manifest);
    expect(problem!.key).toBe("commands.hello.schedulabel");
    expect(problem!.message).toContain("did you mean 'schedulable'?");
  });

  test("refuses invalid JSON, saying so", () => {
    const [problem, ...more] = refused('{\n  "api_version": 1,\n  "ident": }\n');
    expect(more).toEqual([]);
    expect(problem!.message).toStartWith("invalid JSON: ");
  });

  test("refuses invalid JSON with the line and column of the mistake", () => {
    const [problem] = refused('{\n  "api_version": 1,\n  "ident": }\n');
    expect(problem!.position).toEqual({ line: 3, column: 12 });
    expect(formatProblem(problem!)).toStartWith(`${FILE}:3:12: invalid JSON`);
  });

  test("refuses another ABI version, saying which one this syncer speaks", () => {
    const problems = refused({ ...testkit(), api_version: 2 });
    expect(problems).toEqual([{ file: FILE, key: "api_version", message: expect.stringContaining("this syncer speaks v1") }]);
    expect(problems[0]!.message).toContain("ABI v2");
  });

  test("refuses a choice option without choices", () => {
    const problems = refused(minimal({ options: { mode: { type: "choice", description: "A mode" } } }));
    expect(problems).toEqual([{ file: FILE, key: "options.mode", message: "a choice option needs 'choices'" }]);
  });

  test("refuses choices on an option that is not a choice", () => {
    const problems = refused(minimal({ options: { mode: { type: "string", description: "A mode", choices: ["a"] } } }));
    expect(problems).toEqual([{ file: FILE, key: "options.mode.choices", message: expect.stringContaining("only a choice option has choices") }]);
  });

  const wrongDefaults: [string, Record<string, unknown>][] = [
    ["an int given as a string", { type: "int", default: "3" }],
    ["a fractional int", { type: "int", default: 1.5 }],
    ["a bool given as a string", { type: "bool", default: "true" }],
    ["a list given as a string", { type: "list", default: "a,b" }],
    ["a choice not among the choices", { type: "choice", choices: ["fast", "safe"], default: "turbo" }],
  ];
  for (const [what, option] of wrongDefaults) {
    test(`refuses a default of the wrong type: ${what}`, () => {
      const problems = refused(minimal({ options: { opt: { description: "An option", ...option } } }));
      expect(problems).toEqual([
        { file: FILE, key: "options.opt.default", message: `the default ${JSON.stringify(option.default)} is not a valid ${option.type}` },
      ]);
    });
  }

  test('refuses an endpoint path with a ".." segment', () => {
    const [problem] = refused(minimal({ endpoints: [{ method: "GET", path: "/status/../../admin", export: "status" }] }));
    expect(problem!.key).toBe("endpoints[0].path");
    expect(problem!.message).toContain('without ".." segments');
  });

  test("accepts an endpoint path with dots that are not a '..' segment", () => {
    const result = parseManifest(JSON.stringify(minimal({ endpoints: [{ method: "GET", path: "/v1.2/status..json", export: "status" }] })), FILE);
    expect(result.ok).toBe(true);
  });

  test("reports every problem of a manifest at once", () => {
    const problems = refused({ ...testkit(), api_version: "1", descripton: "typo", version: "one" });
    expect(problems.map((problem) => problem.key).sort()).toEqual(["api_version", "descripton", "version"]);
  });
});

describe("discoverPlugins", () => {
  test("loads the good plugin and refuses the bad one, naming its file and field", () => {
    const dir = tempDir();
    const good = writePlugin(dir, "good", TESTKIT_TEXT);
    const bad = writePlugin(dir, "bad", { ...minimal({ ident: "bad" }), commands: { x: { kind: "importt", description: "Imports" } } });
    mkdirSync(join(dir, "not-a-plugin")); // no plugin.json: not a plugin folder, ignored

    const registry = discoverPlugins([dir], {});
    expect([...registry.plugins.keys()]).toEqual(["testkit"]);
    const plugin = registry.plugins.get("testkit")!;
    expect(plugin).toMatchObject({ ident: "testkit", origin: "directory", location: good, manifestPath: join(good, "plugin.json") });
    expect(registry.refused).toEqual([{ file: join(bad, "plugin.json"), key: "commands.x.kind", message: expect.stringContaining('found "importt"') }]);
    expect(registry.errors).toEqual([]);
  });

  test("refuses a plugin whose manifest is not JSON, and still loads the others", () => {
    const dir = tempDir();
    writePlugin(dir, "good", TESTKIT_TEXT);
    const bad = writePlugin(dir, "broken", "{ not json");
    const registry = discoverPlugins([dir], {});
    expect([...registry.plugins.keys()]).toEqual(["testkit"]);
    expect(registry.refused).toEqual([{ file: join(bad, "plugin.json"), position: { line: 1, column: 3 }, message: "invalid JSON: invalid symbol" }]);
  });

  test("refuses a plugin whose module path leaves the plugin folder", () => {
    const dir = tempDir();
    const escaping = writePlugin(dir, "escaping", minimal({ ident: "escaping", wasm: "../x.wasm" }));
    const absolute = writePlugin(dir, "absolute", minimal({ ident: "absolute", wasm: "/etc/x.wasm" }));
    const inside = writePlugin(dir, "inside", minimal({ ident: "inside", wasm: "out/../build/module.wasm" }));
    const registry = discoverPlugins([dir], {});
    expect([...registry.plugins.keys()]).toEqual(["inside"]);
    expect(registry.plugins.get("inside")!.location).toBe(inside);
    expect(registry.refused).toEqual([
      { file: join(absolute, "plugin.json"), key: "wasm", message: "the module must be inside the plugin folder" },
      { file: join(escaping, "plugin.json"), key: "wasm", message: "the module must be inside the plugin folder" },
    ]);
  });

  test("lists a disabled plugin with enabled false", () => {
    const dir = tempDir();
    writePlugin(dir, "off", minimal({ ident: "off", enabled: false }));
    writePlugin(dir, "on", minimal({ ident: "on" }));
    const registry = discoverPlugins([dir], {});
    expect(registry.refused).toEqual([]);
    expect(registry.plugins.get("off")!.manifest.enabled).toBe(false);
    expect(registry.plugins.get("on")!.manifest.enabled).toBe(true);
  });

  test("two plugins with one ident are an error naming both folders", () => {
    const first = tempDir();
    const second = tempDir();
    const a = writePlugin(first, "testkit", TESTKIT_TEXT);
    const b = writePlugin(second, "testkit-copy", TESTKIT_TEXT);
    const registry = discoverPlugins([first, second], {});
    expect(registry.errors).toHaveLength(1);
    const [error] = registry.errors;
    expect(error!.key).toBe("ident");
    expect(error!.message).toContain("'testkit'");
    expect(error!.message).toContain(a);
    expect(error!.message).toContain(b);
    // The first one found is kept; nothing is refused for it.
    expect(registry.plugins.get("testkit")!.location).toBe(a);
    expect(registry.refused).toEqual([]);
  });

  test("two folders in one directory with one ident are an error naming both", () => {
    const dir = tempDir();
    const a = writePlugin(dir, "a", minimal());
    const b = writePlugin(dir, "b", minimal());
    const { errors } = discoverPlugins([dir], {});
    expect(errors).toEqual([{ file: join(b, "plugin.json"), key: "ident", message: expect.stringContaining(`${a} and ${b}`) }]);
  });

  test("a built-in plugin and a directory plugin with one ident are an error naming both", () => {
    const dir = tempDir();
    const folder = writePlugin(dir, "demo", minimal());
    const { errors } = discoverPlugins([dir], { demo: { path: "plugins/demo", manifestText: JSON.stringify(minimal()), wasmBase64: null } });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("builtin:demo");
    expect(errors[0]!.message).toContain(folder);
  });

  test("a configured directory that does not exist is an error", () => {
    const missing = join(tempDir(), "nope");
    const registry = discoverPlugins([missing], {});
    expect(registry.errors).toEqual([{ file: missing, message: "plugins directory does not exist or is not a directory" }]);
    expect(registry.plugins.size).toBe(0);
  });

  test("a configured directory that is a file is an error", () => {
    const file = join(tempDir(), "plugin.json");
    writeFileSync(file, TESTKIT_TEXT);
    expect(discoverPlugins([file], {}).errors).toEqual([{ file, message: "plugins directory does not exist or is not a directory" }]);
  });

  test("a configured directory that is itself a plugin folder loads that plugin", () => {
    const folder = writePlugin(tempDir(), "testkit", TESTKIT_TEXT);
    writePlugin(folder, "nested", minimal({ ident: "nested" })); // a plugin folder is not searched further
    const registry = discoverPlugins([folder], {});
    expect([...registry.plugins.keys()]).toEqual(["testkit"]);
    expect(registry.plugins.get("testkit")!.location).toBe(folder);
    expect(registry.errors).toEqual([]);
  });

  test("an empty directory yields no plugins and no problems", () => {
    expect(discoverPlugins([tempDir()], {})).toEqual({ plugins: new Map(), refused: [], errors: [] });
  });

  test("the builtin map given is the one used", () => {
    const registry = discoverPlugins([], { demo: { path: "plugins/demo", manifestText: JSON.stringify(minimal()), wasmBase64: null } });
    expect(registry.plugins.get("demo")).toMatchObject({ origin: "builtin", location: "builtin:demo", manifestPath: "builtin:plugins/demo/plugin.json" });
  });
});
