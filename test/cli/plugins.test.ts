import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildPlugins } from "../../build.ts";
import { listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

const FIXTURES = resolve(import.meta.dir, "..", "fixtures", "plugins");
const TESTKIT_MANIFEST = join(FIXTURES, "testkit", "plugin.json");

beforeAll(() => {
  buildPlugins(FIXTURES);
}, COMPILE_TIMEOUT_MS);

/** A config in a fresh directory whose [plugins] directories are `directories`, followed by `body`. */
function configWith(directories: string[], body = ""): { dir: string; config: string } {
  const dir = tempDir();
  const config = writeConfig(dir, `[plugins]\ndirectories = [${directories.map((d) => JSON.stringify(d)).join(", ")}]\n${body}`);
  return { dir, config };
}

/** A plugins directory holding one plugin folder whose manifest is refused: an unknown command kind. */
function badPluginsDir(): { dir: string; manifest: string } {
  const dir = tempDir();
  mkdirSync(join(dir, "broken"));
  const manifest = join(dir, "broken", "plugin.json");
  writeFileSync(
    manifest,
    JSON.stringify({ api_version: 1, ident: "broken", name: "Broken", version: "1.0.0", author: "t", description: "d", commands: { x: { kind: "importt", description: "d" } } }),
  );
  return { dir, manifest };
}

/** The config file's line on which `needle` is written. */
function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split("\n").length;
}

describe("syncer plugins list", () => {
  test("shows a plugin from a configured directory as enabled", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "list", "--config", config]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^testkit\s+1\.0\.0\s+enabled\s+directory\s+Well-behaved/m);
  });

  test("a refused plugin is reported on stderr with its file and field, and the others are still listed", () => {
    const bad = badPluginsDir();
    const { config } = configWith([FIXTURES, bad.dir]);
    const result = runSyncer(["plugins", "list", "--config", config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^testkit\s+1\.0\.0\s+enabled/m);
    expect(result.stdout).not.toContain("broken");
    expect(result.stderr).toContain(`refused: ${bad.manifest}: commands.x.kind: expected one of "import", "inventorize", "export", "action", found "importt"`);
  });

  test("--json gives the plugins and the refused ones", () => {
    const bad = badPluginsDir();
    const { config } = configWith([FIXTURES, bad.dir]);
    const result = runSyncer(["plugins", "list", "--json", "--config", config]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(Object.keys(body).sort()).toEqual(["plugins", "refused"]);
    expect(body.plugins.map((p: { ident: string }) => p.ident)).toEqual(expect.arrayContaining(["csv", "pdk_echo", "testkit"]));
    expect(body.plugins.filter((p: { ident: string }) => p.ident === "testkit")).toEqual([
      {
        ident: "testkit",
        name: "Test kit",
        version: "1.0.0",
        enabled: true,
        origin: "directory",
        location: join(FIXTURES, "testkit"),
        description: "Well-behaved and hostile exports for testing the plugin runtime.",
        commands: ["hello", "echo", "spin"],
      },
    ]);
    expect(body.refused).toEqual([{ file: bad.manifest, key: "commands.x.kind", message: expect.stringContaining('found "importt"') }]);
  });

  test("a disabled plugin is listed as disabled", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "dormant"));
    writeFileSync(
      join(dir, "dormant", "plugin.json"),
      JSON.stringify({ api_version: 1, ident: "dormant", name: "Dormant", version: "2.0.0", author: "t", description: "Sleeps", enabled: false }),
    );
    const { config } = configWith([dir]);
    const result = runSyncer(["plugins", "list", "--config", config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^dormant\s+2\.0\.0\s+disabled\s+directory\s+Sleeps/m);
  });
});

describe("syncer plugins call", () => {
  /** A plugins directory with a working copy of testkit (its module built) whose manifest says enabled = false. */
  function disabledTestkit(): string {
    const dir = tempDir();
    mkdirSync(join(dir, "testkit", "build"), { recursive: true });
    const manifest = JSON.parse(readFileSync(TESTKIT_MANIFEST, "utf8"));
    writeFileSync(join(dir, "testkit", "plugin.json"), JSON.stringify({ ...manifest, enabled: false }));
    copyFileSync(join(FIXTURES, "testkit", "build", "plugin.wasm"), join(dir, "testkit", "build", "plugin.wasm"));
    return dir;
  }

  test("calls an enabled plugin's command and prints its answer", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "call", "testkit", "echo", "--input", '{"x":1}', "--config", config]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ plugin: "testkit", input: { x: 1 } });
  });

  test("a plugin built with Extism's own PDK echoes non-ASCII input (it trapped with 'Out of bounds access')", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "call", "pdk_echo", "echo", "--input", '{"hi":"ü","smile":"😀"}', "--config", config]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ plugin: "pdk_echo", input: { hi: "ü", smile: "😀" } });
  });

  test("refuses a disabled plugin as `syncer run` does: exit 1, the manifest named, the plugin not called", () => {
    const dir = disabledTestkit();
    const { config } = configWith([dir]);
    const manifest = join(dir, "testkit", "plugin.json");
    for (const args of [["plugins", "call", "testkit", "echo"], ["run", "testkit", "echo"]]) {
      const result = runSyncer([...args, "--input", '{"x":1}', "--config", config]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(`plugin testkit is disabled (${manifest})`);
    }
  });

  test("refuses a disabled account, and an account of another plugin", () => {
    const { config } = configWith([FIXTURES], `[accounts.off]\nplugin = "testkit"\nenabled = false\n[accounts.pdk]\nplugin = "pdk_echo"\n`);
    const disabled = runSyncer(["plugins", "call", "testkit", "echo", "off", "--config", config]);
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toContain("account off is disabled (enabled = false)");
    const foreign = runSyncer(["plugins", "call", "testkit", "echo", "pdk", "--config", config]);
    expect(foreign.code).toBe(2); // a usage error
    expect(foreign.stderr).toContain("account pdk belongs to plugin pdk_echo, not testkit");
  });
});

describe("syncer plugins info", () => {
  test("shows the commands, the options with types and defaults, and the permissions with reasons", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "info", "testkit", "--config", config]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toStartWith("Test kit (testkit) 1.0.0\n");
    expect(out).toContain(`from: ${join(FIXTURES, "testkit")}; ABI v1`);
    for (const section of ["COMMANDS", "OPTIONS", "PERMISSIONS"]) expect(out).toMatch(new RegExp(`^${section}`, "m"));
    expect(out.indexOf("COMMANDS")).toBeLessThan(out.indexOf("OPTIONS"));
    expect(out.indexOf("OPTIONS")).toBeLessThan(out.indexOf("PERMISSIONS"));
    // Commands: kind, whether they take an account, whether a job may run them, and what they do.
    expect(out).toMatch(/^ {2}hello\s+action\s+account optional\s+schedulable\n\s+Greets the account$/m);
    // Options: type, required or not, default, choices, secrecy, and the order they are resolved in.
    expect(out).toContain("account custom field > SYNCER_<IDENT>_<OPTION> > [plugins.<ident>] > default");
    expect(out).toMatch(/^ {2}repeat\s+int, optional, default 1\n\s+How often$/m);
    expect(out).toMatch(/^ {2}greeting\s+string, optional, default "hello"$/m);
    expect(out).toMatch(/^ {2}mode\s+choice, optional, default "safe", choices fast\|safe$/m);
    expect(out).toMatch(/^ {2}token\s+string, optional, secret$/m);
    // Permissions, each with the reason the manifest gives.
    expect(out).toMatch(/^ {2}http\s+account address host: fetches test pages from the account's address$/m);
    expect(out).toMatch(/^ {2}hosts\s+read: reads hosts in tests$/m);
    expect(out).toMatch(/^ {2}kv\s+caches test values$/m);
    expect(out).toMatch(/^ {2}events\s+emits test events$/m);
  });

  test("shows the template filters and condition tests a plugin gives rules, as rules name them, and the outcomes it understands", () => {
    const { config } = configWith([FIXTURES]);
    const out = runSyncer(["plugins", "info", "rulefix", "--config", config]).stdout;
    expect(out).toMatch(/^TEMPLATE FILTERS/m);
    expect(out).toMatch(/^ {2}rulefix_slug: \[separator\]\n\s+The value's text in lower case/m);
    expect(out).toMatch(/^CONDITION TESTS/m);
    expect(out).toMatch(/^ {2}rulefix_longer_than {2}value required\n\s+Whether the value's text has more characters/m);
    expect(runSyncer(["plugins", "info", "ansible", "--config", config]).stdout).toMatch(/^OUTCOMES.*\n {2}groups, \*$/m);
  });

  test("--json includes the manifest with its defaults filled in", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "info", "testkit", "--json", "--config", config]);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body).toMatchObject({ ident: "testkit", enabled: true, origin: "directory", location: join(FIXTURES, "testkit") });
    expect(body.manifest).toMatchObject({
      api_version: 1,
      ident: "testkit",
      wasm: "build/plugin.wasm",
      options: { repeat: { type: "int", default: 1, required: false, secret: false } },
      commands: { hello: { kind: "action", account: "optional", schedulable: true } },
      permissions: { kv: { reason: "caches test values" } },
    });
  });

  test("an unknown ident is a usage error pointing at `syncer plugins list`", () => {
    const { config } = configWith([FIXTURES]);
    const result = runSyncer(["plugins", "info", "testkti", "--config", config]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toStartWith("error: no plugin 'testkti'");
    expect(result.stderr).toContain("`syncer plugins list`");
  });
});

describe("syncer config check binds accounts to plugins", () => {
  test("refuses two plugins with one ident, naming both folders, and creates nothing", () => {
    const other = tempDir();
    mkdirSync(join(other, "testkit-copy"));
    copyFileSync(TESTKIT_MANIFEST, join(other, "testkit-copy", "plugin.json"));
    const { dir, config } = configWith([FIXTURES, other]);
    const before = listTree(dir);
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith("error: ");
    expect(result.stderr).toContain("two plugins have the ident 'testkit'");
    expect(result.stderr).toContain(join(FIXTURES, "testkit"));
    expect(result.stderr).toContain(join(other, "testkit-copy"));
    expect(listTree(dir)).toEqual(before);
  });

  test("refuses an account whose option value is bad, with file:line:column, and creates nothing", () => {
    const body = '[accounts.demo]\nplugin = "testkit"\n[accounts.demo.custom_fields]\nrepeat = "many"\n';
    const { dir, config } = configWith([FIXTURES], body);
    const text = `[plugins]\ndirectories = [${JSON.stringify(FIXTURES)}]\n${body}`;
    const before = listTree(dir);
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toStartWith("error: ");
    expect(result.stderr).toContain(`${config}:${lineOf(text, 'repeat = "many"')}:10: accounts.demo.custom_fields.repeat: account demo: option 'repeat' of plugin testkit`);
    expect(result.stderr).toContain('expected an integer, found "many"');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(listTree(dir)).toEqual(before);
  });

  test("--json reports the option problem as data", () => {
    const { config } = configWith([FIXTURES], '[accounts.demo]\nplugin = "testkit"\ncustom_fields = { mode = "turbo" }\n');
    const result = runSyncer(["config", "check", "--json", "--config", config]);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.error.kind).toBe("config");
    expect(body.error.details.problems).toEqual([expect.objectContaining({ key: "accounts.demo.custom_fields.mode", position: { line: 5, column: 26 } })]);
  });

  test("accepts a good account and warns about refused plugins", () => {
    const bad = badPluginsDir();
    const { config } = configWith([FIXTURES, bad.dir], '[accounts.demo]\nplugin = "testkit"\n');
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ok ${config}`);
    expect(result.stderr).toContain(`warning: ${bad.manifest}: commands.x.kind`);
  });
});

describe("syncer config dump shows each plugin option with its origin", () => {
  test("--json gives accounts.<name>.options.<option> as {value, origin}", () => {
    const { config } = configWith(
      [FIXTURES],
      '[plugins.testkit]\nmode = "fast"\n[accounts.demo]\nplugin = "testkit"\ncustom_fields = { repeat = "3", tags = "a, b" }\n',
    );
    const result = runSyncer(["config", "dump", "--json", "--config", config], { env: { SYNCER_TESTKIT_LOUD: "yes" } });
    expect(result.code).toBe(0);
    const dump = JSON.parse(result.stdout);
    expect(dump.accounts.demo.options).toEqual({
      greeting: { value: "hello", origin: "default" },
      repeat: { value: 3, origin: "accounts.demo.custom_fields.repeat" },
      loud: { value: true, origin: "env SYNCER_TESTKIT_LOUD" },
      tags: { value: ["a", "b"], origin: "accounts.demo.custom_fields.tags" },
      mode: { value: "fast", origin: "plugins.testkit.mode" },
      token: { value: null, origin: "default" },
    });
    // The account as written is kept beside its resolved options.
    expect(dump.accounts.demo.custom_fields).toEqual({ repeat: "3", tags: "a, b" });
  });

  test("a secret option given by ${env:...} is redacted, and its value appears nowhere", () => {
    const secret = "s3cret-plugin-token-value";
    const { config } = configWith([FIXTURES], '[accounts.demo]\nplugin = "testkit"\ncustom_fields = { token = "${env:SYNCER_TEST_PLUGIN_TOKEN}" }\n');
    const env = { SYNCER_TEST_PLUGIN_TOKEN: secret };
    const json = runSyncer(["config", "dump", "--json", "--config", config], { env });
    expect(json.code).toBe(0);
    expect(json.stdout).not.toContain(secret);
    const dump = JSON.parse(json.stdout);
    expect(dump.accounts.demo.options.token).toEqual({ value: "<redacted>", origin: "accounts.demo.custom_fields.token" });
    expect(dump.accounts.demo.custom_fields.token).toBe("<redacted> (from ${env:SYNCER_TEST_PLUGIN_TOKEN})");
    const toml = runSyncer(["config", "dump", "--config", config], { env });
    expect(toml.code).toBe(0);
    expect(toml.stdout).toContain('origin = "accounts.demo.custom_fields.token"');
    expect(toml.stdout + toml.stderr + json.stderr).not.toContain(secret);
  });

  test("a secret option from its SYNCER_<IDENT>_<OPTION> variable is redacted, its origin shown", () => {
    const secret = "env-only-plugin-token";
    const { config } = configWith([FIXTURES], '[accounts.demo]\nplugin = "testkit"\n');
    const result = runSyncer(["config", "dump", "--json", "--config", config], { env: { SYNCER_TESTKIT_TOKEN: secret } });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(secret);
    expect(JSON.parse(result.stdout).accounts.demo.options.token).toEqual({ value: "<redacted>", origin: "env SYNCER_TESTKIT_TOKEN" });
  });
});
