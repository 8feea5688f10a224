import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { FIXTURE_PLUGINS } from "../helpers/plugins.ts";
import { parse as parseToml } from "smol-toml";
import { ConfigSchema } from "../../src/config/schema.ts";

/** Makes the test kit plugin installed, so accounts can use it. */
const WITH_TESTKIT = `[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n`;

const EXAMPLE = resolve(import.meta.dir, "..", "..", "sync.config.toml");

/** A failure an operator can act on: exit 1, one paragraph on stderr naming where and why, no stack trace. */
function expectCleanFailure(result: { code: number; stdout: string; stderr: string }, ...mentions: string[]): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toStartWith("error: ");
  expect(result.stderr.trim()).not.toContain("\n\n");
  expect(result.stderr).not.toMatch(/^\s+at /m);
  for (const mention of mentions) expect(result.stderr).toContain(mention);
}

describe("syncer config check", () => {
  test("accepts the repository's example config", () => {
    const result = runSyncer(["config", "check", "--config", EXAMPLE]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ok ${EXAMPLE}`);
  });

  const badInputs: [string, string | Uint8Array, string[]][] = [
    ["malformed TOML", '[server]\nlisten = "127.0.0.1:8787\n', [":2:25: malformed TOML"]],
    ["an unknown key", '[server]\nlisten = "127.0.0.1:8787"\ndatadir = "x"\n', [":3:1: server.datadir: unknown key 'datadir'", "did you mean 'data_dir'?"]],
    ["a wrong type", "[log]\nlevel = 3\n", [":2:9: log.level: expected one of"]],
    ["a missing secret", '[accounts.nb]\nplugin = "netbox"\npassword = "${env:SYNCER_TEST_NOPE}"\n', [":3:12: accounts.nb.password: environment variable SYNCER_TEST_NOPE is not set"]],
    ["bytes that are not UTF-8", new Uint8Array([0x5b, 0x6c, 0x6f, 0x67, 0x5d, 0x0a, 0xff, 0xfe]), ["is not valid UTF-8"]],
  ];
  for (const [what, content, mentions] of badInputs) {
    test(`refuses ${what} with file, line and column, changing nothing`, () => {
      const dir = tempDir();
      const config = join(dir, "sync.config.toml");
      writeFileSync(config, content);
      const before = listTree(dir);
      for (const command of [["config", "check"], ["serve"], ["migrate"]]) {
        const result = runSyncer([...command, "--config", config]);
        expectCleanFailure(result, ...mentions.map((m) => (m.startsWith(":") ? config + m : m)));
      }
      expect(listTree(dir)).toEqual(before);
    });
  }

  test("refuses an unreadable config file", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "is-a-directory.toml"));
    expectCleanFailure(runSyncer(["config", "check", "--config", join(dir, "is-a-directory.toml")]), "cannot read config file", "EISDIR");
    expectCleanFailure(runSyncer(["config", "check", "--config", join(dir, "missing.toml")]), "cannot read config file", "ENOENT");
  });

  test("--json reports the failure as JSON on stdout", () => {
    const dir = tempDir();
    const config = writeConfig(dir, "[log]\nlevel = 3\n");
    const result = runSyncer(["config", "check", "--json", "--config", config]);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.ok).toBe(false);
    expect(body.error.kind).toBe("config");
    expect(body.error.details.problems[0]).toMatchObject({ key: "log.level", position: { line: 2, column: 9 } });
  });

  test("warns about a secret written in clear text, and still accepts it", () => {
    const dir = tempDir();
    const config = writeConfig(dir, `${WITH_TESTKIT}[accounts.nb]\nplugin = "testkit"\npassword = "clear-text-password"\n`);
    const result = runSyncer(["config", "check", "--config", config]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: ${config}:5:12: accounts.nb.password: a secret written in clear text`);
    expect(result.stderr).not.toContain("clear-text-password");
  });
});

describe("syncer config check: an account's custom fields are its plugin's options", () => {
  const check = (text: string) => {
    const config = writeConfig(tempDir(), text);
    return { config, result: runSyncer(["config", "check", "--config", config]) };
  };

  test("a misspelt option is an error at the key, with a did-you-mean, as unknown config keys are", () => {
    const { config, result } = check('[accounts.office]\nplugin = "csv"\n[accounts.office.custom_fields]\npath = "hosts.csv"\nhostname_colum = "host"\n');
    expectCleanFailure(
      result,
      `${config}:5:1: accounts.office.custom_fields.hostname_colum: plugin csv has no option 'hostname_colum'; did you mean 'hostname_column'? (fields: path, hostname_column, delimiter, encoding, label_columns)`,
    );
    const inline = check('[accounts.office]\nplugin = "csv"\ncustom_fields = { path = "hosts.csv", zzzzzz = 1 }\n');
    expectCleanFailure(inline.result, `${inline.config}:3:39: accounts.office.custom_fields.zzzzzz: plugin csv has no option 'zzzzzz' (fields: `);
    expect(inline.result.stderr).not.toContain("did you mean");
  });

  test("an inherited field is reported once, where the parent writes it", () => {
    const { config, result } = check('[accounts.base]\nplugin = "csv"\n[accounts.base.custom_fields]\nlabel_colums = ["site"]\n[accounts.child]\nparent = "base"\n');
    expectCleanFailure(result, `${config}:4:1: accounts.base.custom_fields.label_colums: plugin csv has no option 'label_colums'; did you mean 'label_columns'?`);
    expect(result.stderr.split("label_colums").length - 1).toBe(2);
  });

  test("options, presets and the HTTP fields the host reads (timeout, verify_cert) pass; HTTP fields only for plugins with HTTP", () => {
    const json = check('[accounts.cmdb]\nplugin = "json"\n[accounts.cmdb.custom_fields]\npath = "x.json"\nlist_selector = "$.data"\nhostname_field = "fqdn"\ntimeout = 10\nverify_cert = false\n');
    expect(json.result.stderr).toBe("");
    expect(json.result.code).toBe(0);
    const csv = check('[accounts.office]\nplugin = "csv"\n[accounts.office.custom_fields]\nverify_cert = false\n');
    expectCleanFailure(csv.result, `${csv.config}:4:1: accounts.office.custom_fields.verify_cert: plugin csv has no option 'verify_cert'`);
  });
});

describe("where the config file is found", () => {
  test("$SYNCER_CONFIG, then ./sync.config.toml in the working directory", () => {
    const dir = tempDir();
    writeConfig(dir, '[server]\nlisten = "127.0.0.1:1111"\n');
    const other = writeConfig(dir, '[server]\nlisten = "127.0.0.1:2222"\n', "other.toml");
    const listenOf = (env: Record<string, string>) => JSON.parse(runSyncer(["config", "dump", "--json"], { cwd: dir, env }).stdout).server.listen;
    expect(listenOf({})).toBe("127.0.0.1:1111");
    expect(listenOf({ SYNCER_CONFIG: other })).toBe("127.0.0.1:2222");
    const explicit = runSyncer(["config", "dump", "--json", "--config", join(dir, "sync.config.toml")], { cwd: "/", env: { SYNCER_CONFIG: other } });
    expect(JSON.parse(explicit.stdout).server.listen).toBe("127.0.0.1:1111");
  });

  test("no config anywhere is a clear error naming the places looked", () => {
    const result = runSyncer(["config", "check"], { cwd: tempDir() });
    if (result.code === 0) return; // this machine has /etc/syncer/sync.config.toml: the fallback worked
    expectCleanFailure(result, "no config file found", "--config", "$SYNCER_CONFIG", "/etc/syncer/sync.config.toml");
  });
});

describe("syncer config dump", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "token"), "file-secret-value\n");
  const config = writeConfig(
    dir,
    `${WITH_TESTKIT}[accounts.nb]\nplugin = "testkit"\naddress = "https://nb.example"\npassword = "\${env:SYNCER_TEST_TOKEN}"\n[accounts.nb.custom_fields]\ntoken = "\${file:${join(dir, "token")}}"\nverify_cert = false\n`,
  );
  const env = { SYNCER_TEST_TOKEN: "env-secret-value" };

  test("prints the effective config as TOML with defaults and absolute paths, secrets redacted", () => {
    const result = runSyncer(["config", "dump", "--config", config], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('listen = "127.0.0.1:8787"');
    expect(result.stdout).toContain(`database = "${join(dir, "data", "syncer.db")}"`);
    expect(result.stdout).toContain('password = "<redacted> (from ${env:SYNCER_TEST_TOKEN})"');
    expect(result.stdout).not.toContain("env-secret-value");
    expect(result.stdout).not.toContain("file-secret-value");
  });

  test("--json gives the same as data", () => {
    const result = runSyncer(["config", "dump", "--json", "--config", config], { env });
    const dump = JSON.parse(result.stdout);
    expect(dump.accounts.nb).toMatchObject({
      plugin: "testkit",
      address: "https://nb.example",
      password: "<redacted> (from ${env:SYNCER_TEST_TOKEN})",
      custom_fields: { token: `<redacted> (from \${file:${join(dir, "token")}})`, verify_cert: false },
      enabled: true,
      options: { greeting: { value: "hello", origin: "default" } },
    });
    expect(dump.log).toEqual({ level: "info", format: "text" });
  });

  test("every section of the config schema is dumped, [inventory] too, as TOML and as JSON", () => {
    const withInventory = writeConfig(tempDir(), "[inventory]\npage_size = 200\n");
    const json = JSON.parse(runSyncer(["config", "dump", "--json", "--config", withInventory]).stdout);
    const text = runSyncer(["config", "dump", "--config", withInventory]);
    expect(text.code).toBe(0);
    const toml = parseToml(text.stdout);
    const sections = Object.keys(ConfigSchema.entries);
    expect(Object.keys(json)).toEqual(sections);
    // TOML writes plain values before tables: an empty `rules = []` stands first there.
    expect(Object.keys(toml).sort()).toEqual([...sections].sort());
    for (const dump of [json, toml]) expect(dump.inventory).toEqual({ lowercase_hostnames: false, page_size: 200, change_log_limit: 50 });
  });
});
