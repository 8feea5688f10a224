import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { effectiveConfig } from "../../src/config/dump.ts";
import { parseConfig } from "../../src/config/load.ts";
import { bindSetup, type Setup } from "../../src/plugins/setup.ts";
import { configBinding } from "../helpers/config-binding.ts";
import { formatProblem, type Problem } from "../../src/core/problems.ts";

const TESTKIT = resolve(import.meta.dir, "..", "fixtures", "plugins", "testkit", "plugin.json");

// One plugins directory for the whole file: a copy of testkit (no module needed: nothing is called)
// and a few small manifests for the cases testkit does not cover.
const root = mkdtempSync(join(tmpdir(), "syncer-options-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const PLUGINS = join(root, "plugins");
const CONFIG = join(root, "sync.config.toml");

function addPlugin(folder: string, manifest: Record<string, unknown>): string {
  mkdirSync(join(PLUGINS, folder), { recursive: true });
  const path = join(PLUGINS, folder, "plugin.json");
  writeFileSync(path, JSON.stringify({ api_version: 1, version: "1.0.0", author: "Syncer tests", description: "A test plugin", ...manifest }, null, 2));
  return path;
}
mkdirSync(join(PLUGINS, "testkit"), { recursive: true });
copyFileSync(TESTKIT, join(PLUGINS, "testkit", "plugin.json"));
addPlugin("needy", {
  ident: "needy",
  name: "Needy",
  options: {
    api_url: { type: "string", description: "Where the API is", required: true },
    region: { type: "string", description: "A region", required: true, default: "eu" },
  },
});
const DORMANT_MANIFEST = addPlugin("dormant", { ident: "dormant", name: "Dormant", enabled: false });
// "seed" is not a name the config's secret-key heuristic recognises: only the manifest says it is secret.
addPlugin("vault", { ident: "vault", name: "Vault", options: { seed: { type: "string", description: "A signing seed", secret: true } } });

const HEADER = `[plugins]\ndirectories = [${JSON.stringify(PLUGINS)}]\n`;

const { bind, problemsOf, lineOf } = configBinding(HEADER, CONFIG);

const option = (setup: Setup, account: string, name: string) => setup.accounts.get(account)!.options[name];

describe("resolving an option: account custom field > env > [plugins.<ident>] > default", () => {
  const body = `
[plugins.testkit]
repeat = 3
greeting = "from-table"
mode = "fast"

[accounts.demo]
plugin = "testkit"
[accounts.demo.custom_fields]
repeat = 5

[accounts.other]
plugin = "testkit"
`;

  test("each level wins over the ones below it, and says where the value came from", () => {
    const setup = bind(body, { SYNCER_TESTKIT_REPEAT: "4", SYNCER_TESTKIT_GREETING: "from-env" });
    expect(option(setup, "demo", "repeat")).toEqual({ value: 5, origin: "accounts.demo.custom_fields.repeat", secret: false });
    expect(option(setup, "other", "repeat")).toEqual({ value: 4, origin: "env SYNCER_TESTKIT_REPEAT", secret: false });
    expect(option(setup, "demo", "greeting")).toEqual({ value: "from-env", origin: "env SYNCER_TESTKIT_GREETING", secret: false });
    expect(option(setup, "demo", "mode")).toEqual({ value: "fast", origin: "plugins.testkit.mode", secret: false });
    expect(option(setup, "demo", "loud")).toEqual({ value: false, origin: "default", secret: false });
  });

  test("without the environment variable, [plugins.<ident>] is used", () => {
    const setup = bind(body);
    expect(option(setup, "other", "repeat")).toEqual({ value: 3, origin: "plugins.testkit.repeat", secret: false });
    expect(option(setup, "other", "greeting")).toEqual({ value: "from-table", origin: "plugins.testkit.greeting", secret: false });
    expect(option(setup, "demo", "repeat")).toMatchObject({ value: 5, origin: "accounts.demo.custom_fields.repeat" });
  });

  test("an option set nowhere takes its default, or stays unset when it has none", () => {
    const setup = bind('[accounts.bare]\nplugin = "testkit"\n');
    const options = setup.accounts.get("bare")!.options;
    expect(options).toEqual({
      greeting: { value: "hello", origin: "default", secret: false },
      repeat: { value: 1, origin: "default", secret: false },
      loud: { value: false, origin: "default", secret: false },
      tags: { value: [], origin: "default", secret: false },
      mode: { value: "safe", origin: "default", secret: false },
      token: { value: undefined, origin: "default", secret: true },
    });
  });

  test("an empty environment variable counts as unset", () => {
    const setup = bind('[plugins.testkit]\nrepeat = 3\n[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_REPEAT: "", SYNCER_TESTKIT_LOUD: "" });
    expect(option(setup, "demo", "repeat")).toMatchObject({ value: 3, origin: "plugins.testkit.repeat" });
    expect(option(setup, "demo", "loud")).toMatchObject({ value: false, origin: "default" });
  });

  test("the environment variable is named after the plugin and option in upper case", () => {
    const setup = bind('[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_TAGS: "x", syncer_testkit_repeat: "9" });
    expect(option(setup, "demo", "tags")).toMatchObject({ value: ["x"], origin: "env SYNCER_TESTKIT_TAGS" });
    expect(option(setup, "demo", "repeat")).toMatchObject({ value: 1, origin: "default" });
  });
});

describe("coercing a value to the option's type", () => {
  const bools: [string, boolean][] = [
    ["True", true],
    ["false", false],
    ["yes", true],
    ["0", false],
    [" ON ", true],
    ["no", false],
  ];
  for (const [text, value] of bools) {
    test(`the string ${JSON.stringify(text)} is the bool ${value}, in a custom field and in the environment`, () => {
      const fromField = bind(`[accounts.demo]\nplugin = "testkit"\ncustom_fields = { loud = ${JSON.stringify(text)} }\n`);
      expect(option(fromField, "demo", "loud")!.value).toBe(value);
      const fromEnv = bind('[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_LOUD: text });
      expect(option(fromEnv, "demo", "loud")!.value).toBe(value);
    });
  }

  test("a TOML boolean stays a bool", () => {
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { loud = true }\n'), "demo", "loud")!.value).toBe(true);
  });

  test('the string "30" is the int 30, and a TOML integer stays one', () => {
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { repeat = "30" }\n'), "demo", "repeat")!.value).toBe(30);
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_REPEAT: " -7 " }), "demo", "repeat")!.value).toBe(-7);
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { repeat = 12 }\n'), "demo", "repeat")!.value).toBe(12);
  });

  test('the string "a, b" is the list ["a", "b"], and a TOML array stays one', () => {
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { tags = "a, b" }\n'), "demo", "tags")!.value).toEqual(["a", "b"]);
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_TAGS: "x,,y ," }), "demo", "tags")!.value).toEqual(["x", "y"]);
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { tags = ["p q", "r"] }\n'), "demo", "tags")!.value).toEqual(["p q", "r"]);
  });

  test("a choice must be one of the choices", () => {
    expect(option(bind('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { mode = "fast" }\n'), "demo", "mode")!.value).toBe("fast");
    const [problem] = problemsOf('[accounts.demo]\nplugin = "testkit"\ncustom_fields = { mode = "turbo" }\n');
    expect(problem!.message).toContain('expected one of "fast", "safe", found "turbo"');
  });

  const invalid: [string, string, string][] = [
    ["repeat", '"1.5"', "expected an integer"],
    ["repeat", "2.5", "expected an integer"],
    ["loud", '"maybe"', "expected a boolean"],
    ["loud", "1", "expected a boolean"],
    ["greeting", "42", "expected a string"],
    ["tags", "7", "expected a list of strings"],
  ];
  for (const [name, value, expected] of invalid) {
    test(`${name} = ${value} is refused: ${expected}`, () => {
      const problems = problemsOf(`[accounts.demo]\nplugin = "testkit"\n[accounts.demo.custom_fields]\n${name} = ${value}\n`);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).toContain(expected);
    });
  }
});

describe("problems binding accounts to plugins", () => {
  test("a bad option value names the account, the option and where it is written", () => {
    const body = '[accounts.demo]\nplugin = "testkit"\n[accounts.demo.custom_fields]\nrepeat = "many"\n';
    const problems = problemsOf(body);
    const line = lineOf(body, 'repeat = "many"');
    expect(problems).toEqual([
      {
        file: CONFIG,
        key: "accounts.demo.custom_fields.repeat",
        position: { line, column: 10 },
        message: `account demo: option 'repeat' of plugin testkit (from accounts.demo.custom_fields.repeat): expected an integer, found "many"`,
      },
    ]);
    expect(formatProblem(problems[0]!)).toStartWith(`${CONFIG}:${line}:10: accounts.demo.custom_fields.repeat: account demo: option 'repeat'`);
  });

  test("a bad value in [plugins.<ident>] points at that table", () => {
    const body = '[plugins.testkit]\nloud = "maybe"\n[accounts.demo]\nplugin = "testkit"\n';
    const [problem] = problemsOf(body);
    expect(problem).toMatchObject({ key: "plugins.testkit.loud", position: { line: lineOf(body, 'loud = "maybe"'), column: 8 } });
    expect(problem!.message).toContain("account demo: option 'loud' of plugin testkit (from plugins.testkit.loud)");
  });

  test("a bad value from the environment names the variable", () => {
    const [problem] = problemsOf('[accounts.demo]\nplugin = "testkit"\n', { SYNCER_TESTKIT_REPEAT: "lots" });
    expect(problem).toEqual({ file: CONFIG, message: `account demo: option 'repeat' of plugin testkit (from env SYNCER_TESTKIT_REPEAT): expected an integer, found "lots"` });
  });

  test("every account's problems are reported at once", () => {
    const problems = problemsOf('[accounts.a]\nplugin = "testkit"\ncustom_fields = { repeat = "x" }\n[accounts.b]\nplugin = "testkit"\ncustom_fields = { mode = "y" }\n');
    expect(problems.map((problem) => problem.key)).toEqual(["accounts.a.custom_fields.repeat", "accounts.b.custom_fields.mode"]);
  });

  test("a required option set nowhere names the account, the option and the three places to set it", () => {
    const body = '[accounts.api]\nplugin = "needy"\n';
    const problems = problemsOf(body);
    expect(problems).toHaveLength(1); // region is required too, but has a default
    const [problem] = problems;
    expect(problem).toMatchObject({ file: CONFIG, key: "accounts.api", position: { line: lineOf(body, "[accounts.api]"), column: expect.any(Number) } });
    expect(problem!.message).toStartWith("account api: option 'api_url' of plugin needy is required");
    expect(problem!.message).toContain("accounts.api.custom_fields.api_url");
    expect(problem!.message).toContain("SYNCER_NEEDY_API_URL");
    expect(problem!.message).toContain("[plugins.needy] api_url");
  });

  test("a required option is satisfied from any of the three places", () => {
    expect(option(bind('[accounts.api]\nplugin = "needy"\ncustom_fields = { api_url = "https://a" }\n'), "api", "api_url")!.value).toBe("https://a");
    expect(option(bind('[accounts.api]\nplugin = "needy"\n', { SYNCER_NEEDY_API_URL: "https://b" }), "api", "api_url")!.value).toBe("https://b");
    const fromTable = bind('[plugins.needy]\napi_url = "https://c"\n[accounts.api]\nplugin = "needy"\n');
    expect(option(fromTable, "api", "api_url")).toMatchObject({ value: "https://c", origin: "plugins.needy.api_url" });
    expect(option(fromTable, "api", "region")).toMatchObject({ value: "eu", origin: "default" });
  });

  test("an account naming a plugin that is not installed is refused, suggesting the one meant", () => {
    const body = '[accounts.demo]\nplugin = "testkti"\n';
    const problems = problemsOf(body);
    expect(problems).toEqual([
      {
        file: CONFIG,
        key: "accounts.demo.plugin",
        position: { line: lineOf(body, 'plugin = "testkti"'), column: 10 },
        message: "account demo uses plugin 'testkti', which is not installed; did you mean 'testkit'?",
      },
    ]);
  });

  test("an account of a disabled plugin is refused, naming the manifest that disables it", () => {
    const [problem, ...more] = problemsOf('[accounts.sleepy]\nplugin = "dormant"\n');
    expect(more).toEqual([]);
    expect(problem!.key).toBe("accounts.sleepy.plugin");
    expect(problem!.message).toContain("account sleepy uses plugin 'dormant', which is disabled");
    expect(problem!.message).toContain(DORMANT_MANIFEST);
  });

  test("a disabled account of a disabled plugin is accepted", () => {
    const setup = bind('[accounts.sleepy]\nplugin = "dormant"\nenabled = false\n');
    expect(setup.accounts.get("sleepy")!.plugin.manifest.enabled).toBe(false);
  });

  test("a [plugins.<ident>] table for an unknown plugin is refused, suggesting the one meant", () => {
    const body = "[plugins.testkti]\nrepeat = 2\n";
    const problems = problemsOf(body);
    expect(problems).toEqual([
      {
        file: CONFIG,
        key: "plugins.testkti",
        position: { line: lineOf(body, "[plugins.testkti]"), column: 1 },
        message: "[plugins.testkti] names no known plugin; did you mean 'testkit'?",
      },
    ]);
  });

  test("an unknown option in [plugins.<ident>] is refused, listing the plugin's options", () => {
    const body = "[plugins.testkit]\nrepeats = 2\n";
    const [problem, ...more] = problemsOf(body);
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ file: CONFIG, key: "plugins.testkit.repeats", position: { line: lineOf(body, "repeats = 2"), column: 1 } });
    expect(problem!.message).toBe("plugin testkit has no option 'repeats'; did you mean 'repeat'? (options: greeting, repeat, loud, tags, mode, token)");
  });

  test("a duplicate plugin ident in the directories is a config error naming both folders", () => {
    const other = join(root, "more-plugins");
    mkdirSync(join(other, "testkit2"), { recursive: true });
    copyFileSync(TESTKIT, join(other, "testkit2", "plugin.json"));
    try {
      const env = {};
      const config = parseConfig(`[plugins]\ndirectories = [${JSON.stringify(PLUGINS)}, ${JSON.stringify(other)}]\n`, CONFIG, env);
      expect(() => bindSetup(config, env)).toThrow(join(PLUGINS, "testkit"));
      expect(() => bindSetup(config, env)).toThrow(join(other, "testkit2"));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("secret options", () => {
  test("a secret option's value never appears in the effective config, and its origin does", () => {
    const env = { SYNCER_TESTKIT_TOKEN: "env-token-value-1234", SYNCER_OPTIONS_TEST_SEED: "referenced-seed-5678" };
    const setup = bind(
      `
[plugins.vault]
seed = "table-seed-value-0000"

[accounts.fromenv]
plugin = "testkit"

[accounts.fromtable]
plugin = "vault"

[accounts.fromfield]
plugin = "vault"
custom_fields = { seed = "clear-seed-value-9999" }

[accounts.fromref]
plugin = "vault"
custom_fields = { seed = "\${env:SYNCER_OPTIONS_TEST_SEED}" }
`,
      env,
    );
    const dump = effectiveConfig(setup.config, setup.accounts) as { accounts: Record<string, { options: Record<string, unknown>; custom_fields: Record<string, unknown> }> };
    const text = JSON.stringify(dump);
    for (const secret of ["env-token-value-1234", "referenced-seed-5678", "table-seed-value-0000", "clear-seed-value-9999"]) expect(text).not.toContain(secret);

    expect(dump.accounts.fromenv!.options.token).toEqual({ value: "<redacted>", origin: "env SYNCER_TESTKIT_TOKEN" });
    expect(dump.accounts.fromtable!.options.seed).toEqual({ value: "<redacted>", origin: "plugins.vault.seed" });
    expect(dump.accounts.fromfield!.options.seed).toEqual({ value: "<redacted>", origin: "accounts.fromfield.custom_fields.seed" });
    expect(dump.accounts.fromfield!.custom_fields.seed).toBe("<redacted>");
    expect(dump.accounts.fromref!.options.seed).toEqual({ value: "<redacted>", origin: "accounts.fromref.custom_fields.seed" });
    expect(dump.accounts.fromref!.custom_fields.seed).toBe("<redacted> (from ${env:SYNCER_OPTIONS_TEST_SEED})");
    // The resolved value itself is there for the plugin.
    expect(option(setup, "fromref", "seed")).toEqual({ value: "referenced-seed-5678", origin: "accounts.fromref.custom_fields.seed", secret: true });
  });

  test("an unset secret option shows null, not a marker", () => {
    const setup = bind('[accounts.demo]\nplugin = "testkit"\n');
    const dump = effectiveConfig(setup.config, setup.accounts) as { accounts: Record<string, { options: Record<string, unknown> }> };
    expect(dump.accounts.demo!.options.token).toEqual({ value: null, origin: "default" });
  });

  test("an invalid secret value is refused without repeating it", () => {
    const body = '[accounts.demo]\nplugin = "vault"\ncustom_fields = { seed = 12345678 }\n';
    const [problem] = problemsOf(body);
    expect(problem!.message).toBe("account demo: option 'seed' of plugin vault (from accounts.demo.custom_fields.seed): expected a string");
    expect(problem!.message).not.toContain("12345678");
  });

  test("a secret option's [plugins.<ident>] value is hidden even when every account overrides it", () => {
    const setup = bind('[plugins.vault]\nseed = "shadowed-seed-4321"\n[accounts.demo]\nplugin = "vault"\ncustom_fields = { seed = "own-seed-value-8765" }\n');
    expect(JSON.stringify(effectiveConfig(setup.config, setup.accounts))).not.toContain("shadowed-seed-4321");
  });
});
