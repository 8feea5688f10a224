import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { effectiveConfig } from "../../src/config/dump.ts";
import { parseConfig, findConfigPath } from "../../src/config/load.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { tempDir } from "../helpers/binary.ts";

const FILE = "/etc/syncer/sync.config.toml";

function problemOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, FILE, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SyncerError);
    expect((error as SyncerError).kind).toBe("config");
    return (error as SyncerError).message;
  }
  throw new Error("the config was accepted");
}

describe("config validation names file, line, column, key and what was expected", () => {
  test("malformed TOML points at the broken line", () => {
    expect(problemOf('[server]\nlisten = "127.0.0.1:1\n')).toBe(
      `${FILE}:2:22: malformed TOML: control characters are not allowed in strings`,
    );
  });

  test("an unknown key is an error with a did-you-mean and the allowed keys", () => {
    expect(problemOf('[server]\nlisen = "127.0.0.1:1"\n')).toBe(
      `${FILE}:2:1: server.lisen: unknown key 'lisen' in [server]; did you mean 'listen'? (allowed: 'listen', 'data_dir', 'database', 'max_body_mb')`,
    );
  });

  test("an unknown table at the top is an error too", () => {
    expect(problemOf("[acounts.a]\nplugin = \"csv\"\n")).toContain(`${FILE}:1:1: acounts: unknown key 'acounts'; did you mean 'accounts'?`);
  });

  test("an unknown key far from every known one lists the allowed keys without guessing", () => {
    expect(problemOf('[log]\nzzzzzzzz = 1\n')).toBe(`${FILE}:2:1: log.zzzzzzzz: unknown key 'zzzzzzzz' in [log] (allowed: 'level', 'format')`);
  });

  test("a wrong type points at the value and names TOML's types", () => {
    expect(problemOf('[accounts.netbox1]\nplugin = "netbox"\naddress = 3\n')).toBe(
      `${FILE}:3:11: accounts.netbox1.address: expected a string, found an integer`,
    );
  });

  test("an account needs a plugin, its own or its parent's; a parent must exist", () => {
    expect(problemOf('[accounts.netbox1]\naddress = "https://nb"\n')).toBe(`${FILE}:1:1: accounts.netbox1: account netbox1 needs a plugin (or a parent that has one)`);
    expect(problemOf('[accounts.a]\nparent = "b"\n')).toMatch(/accounts\.a\.parent: account a: parent 'b' is not in \[accounts\]/);
    expect(problemOf('[accounts.a]\nparent = "b"\n[accounts.b]\nparent = "a"\n')).toContain("its parents form a cycle");
  });

  test("a wrong choice lists the choices", () => {
    expect(problemOf('[log]\nlevel = "verbose"\n')).toBe(
      `${FILE}:2:9: log.level: expected one of "debug", "info", "warn", "error", found "verbose"`,
    );
  });

  test("a missing required key points at its table", () => {
    expect(problemOf('x = 1\n[jobs.nightly]\nsteps = ["csv import_hosts"]\n')).toContain(
      `${FILE}:2:1: jobs.nightly.schedule: required key 'schedule' is missing`,
    );
  });

  test("keys inside inline tables and arrays are located too", () => {
    expect(problemOf('accounts = { a = { plugin = "csv", custom_fields = { x = { y = 1 } } } }\n')).toBe(
      `${FILE}:1:58: accounts.a.custom_fields.x: expected a string, number, boolean or list of strings, found a table`,
    );
    expect(problemOf('[jobs.nightly]\nschedule = "0 3 * * *"\nsteps = ["csv import_hosts", "oops"]\n')).toBe(
      `${FILE}:3:30: jobs.nightly.steps[1]: expected a step "<plugin> <command> [account]", found "oops"`,
    );
  });

  test("a bad listen address and an out-of-range port", () => {
    expect(problemOf('[server]\nlisten = "8787"\n')).toContain(`server.listen: expected an address "host:port"`);
    expect(problemOf('[server]\nlisten = "127.0.0.1:70000"\n')).toBe(`${FILE}:2:10: server.listen: port 70000 is out of range (0-65535)`);
  });

  test("a bad account name", () => {
    expect(problemOf('[accounts."Net Box"]\nplugin = "netbox"\n')).toContain(`accounts."Net Box": expected a name of lower-case letters`);
  });

  test("jobs: a bad cron expression, an unknown time zone, a step naming a missing account; all reported at once", () => {
    const message = problemOf(
      '[jobs.nightly]\nschedule = "61 * * * *"\ntimezone = "Mars/Olympus"\nsteps = ["csv import_hosts nope"]\n',
    );
    expect(message).toStartWith(`${FILE} has 3 problems:`);
    expect(message).toContain(`${FILE}:2:12: jobs.nightly.schedule: not a valid cron expression`);
    expect(message).toContain(`${FILE}:3:12: jobs.nightly.timezone: unknown time zone "Mars/Olympus"`);
    expect(message).toContain(`${FILE}:4:10: jobs.nightly.steps[0]: step "csv import_hosts nope" names account 'nope', which is not in [accounts]`);
  });
});

describe("defaults and paths", () => {
  test("an empty file is a valid config with every default", () => {
    const config = parseConfig("", FILE, {});
    expect(config.server.listen).toBe("127.0.0.1:8787");
    expect(config.log).toEqual({ level: "info", format: "text" });
    expect(config.plugins.directories).toEqual([]);
    expect(config.paths).toEqual({ dataDir: "/var/lib/syncer", database: "/var/lib/syncer/syncer.db", pluginDirectories: [] });
  });

  test("relative paths are relative to the config file; absolute ones stay", () => {
    const config = parseConfig('[server]\ndata_dir = "state"\ndatabase = "/var/db/s.db"\n[plugins]\ndirectories = ["extra", "/opt/p"]\n', FILE, {});
    expect(config.paths).toEqual({ dataDir: "/etc/syncer/state", database: "/var/db/s.db", pluginDirectories: ["/etc/syncer/extra", "/opt/p"] });
  });

  test("the database follows from the config file alone: under /etc it is the unit's /var/lib/syncer, elsewhere data/ beside it", () => {
    for (const env of [{}, { STATE_DIRECTORY: "/var/lib/syncer" }]) {
      expect(parseConfig("", "/etc/syncer/sync.config.toml", env).paths.database).toBe("/var/lib/syncer/syncer.db");
      expect(parseConfig("", "/etc/sync.config.toml", env).paths.database).toBe("/var/lib/syncer/syncer.db");
      expect(parseConfig("", "/srv/syncer/sync.config.toml", env).paths.database).toBe("/srv/syncer/data/syncer.db");
      expect(parseConfig("", "/etcetera/sync.config.toml", env).paths.database).toBe("/etcetera/data/syncer.db");
    }
  });

  test("under systemd, a database outside $STATE_DIRECTORY is a warning naming the data_dir that fixes it", () => {
    expect(parseConfig("", FILE, { STATE_DIRECTORY: "/var/lib/syncer" }).warnings).toEqual([]);
    const [warning] = parseConfig("[server]\nlisten = \"127.0.0.1:1\"\n", "/srv/syncer/sync.config.toml", { STATE_DIRECTORY: "/var/lib/syncer" }).warnings;
    expect(warning?.key).toBe("server.data_dir");
    expect(warning?.position).toEqual({ line: 1, column: 1 });
    expect(warning?.message).toBe('the database /srv/syncer/data/syncer.db is outside $STATE_DIRECTORY (/var/lib/syncer), the service\'s state directory; set [server] data_dir = "/var/lib/syncer"');
  });

  test("the config file is found by --config, then $SYNCER_CONFIG, then ./sync.config.toml", () => {
    expect(findConfigPath("/a/explicit.toml", { SYNCER_CONFIG: "/b/env.toml" })).toBe("/a/explicit.toml");
    expect(findConfigPath(undefined, { SYNCER_CONFIG: "/b/env.toml" })).toBe("/b/env.toml");
  });
});

describe("secret references resolve at load and never show their values", () => {
  const dir = tempDir();
  const account = (password: string) => `[accounts.nb]\nplugin = "netbox"\npassword = "${password}"\n`;

  test("${env:NAME}", () => {
    const config = parseConfig(account("${env:NB_TOKEN}"), FILE, { NB_TOKEN: "s3cr3t-env" });
    expect(config.accounts.nb!.password).toBe("s3cr3t-env");
    expect(config.warnings).toEqual([]);
  });

  test("${file:/path} drops one trailing newline", () => {
    writeFileSync(join(dir, "token"), "s3cr3t-file\n");
    const config = parseConfig(account(`\${file:${join(dir, "token")}}`), FILE, {});
    expect(config.accounts.nb!.password).toBe("s3cr3t-file");
  });

  test("${credential:NAME} reads systemd's $CREDENTIALS_DIRECTORY", () => {
    mkdirSync(join(dir, "creds"));
    writeFileSync(join(dir, "creds", "nb"), "s3cr3t-cred");
    const config = parseConfig(account("${credential:nb}"), FILE, { CREDENTIALS_DIRECTORY: join(dir, "creds") });
    expect(config.accounts.nb!.password).toBe("s3cr3t-cred");
  });

  test("references may sit inside a longer string; $${ is a literal", () => {
    const config = parseConfig('[accounts.a]\nplugin = "rest"\naddress = "https://${env:HOST}/api?q=$${x}"\n', FILE, { HOST: "nb.example" });
    expect(config.accounts.a!.address).toBe("https://nb.example/api?q=${x}");
  });

  test("a missing secret names the key and the reference", () => {
    expect(problemOf(account("${env:NB_TOKEN}"))).toBe(`${FILE}:3:12: accounts.nb.password: environment variable NB_TOKEN is not set`);
    expect(problemOf(account("${file:/nonexistent/token}"))).toBe(
      `${FILE}:3:12: accounts.nb.password: file /nonexistent/token cannot be read: no such file or directory (ENOENT)`,
    );
    expect(problemOf(account("${credential:nb}"))).toContain("credential nb needs $CREDENTIALS_DIRECTORY, which is not set");
    expect(problemOf(account("${vault:x}"))).toContain("unknown reference ${vault:…}");
    expect(problemOf(account("${NB_TOKEN}"))).toContain("${NB_TOKEN} is not a reference; write ${env:NB_TOKEN}");
  });

  test("a clear-text secret is accepted with a warning", () => {
    const config = parseConfig(account("hunter2hunter2"), FILE, {});
    expect(config.warnings.map((w) => `${w.key}: ${w.message}`)).toEqual([
      "accounts.nb.password: a secret written in clear text; use ${env:NAME}, ${file:/path} or ${credential:NAME}",
    ]);
  });

  test("the effective config shows where a secret came from, never its value", () => {
    const config = parseConfig(
      account("${env:NB_TOKEN}") + '[accounts.nb.custom_fields]\napi_token = "plain-token-value"\nverify_cert = true\n',
      FILE,
      { NB_TOKEN: "s3cr3t-env" },
    );
    const text = JSON.stringify(effectiveConfig(config));
    expect(text).not.toContain("s3cr3t-env");
    expect(text).not.toContain("plain-token-value");
    const nb = (effectiveConfig(config).accounts as Record<string, Record<string, unknown>>).nb!;
    expect(nb.password).toBe("<redacted> (from ${env:NB_TOKEN})");
    expect(nb.custom_fields).toEqual({ api_token: "<redacted>", verify_cert: true });
  });
});
