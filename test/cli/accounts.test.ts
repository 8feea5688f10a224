import { describe, expect, test } from "bun:test";
import { parse as parseToml } from "smol-toml";
import { runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";
import { DEMO_CSV } from "../helpers/plugins.ts";

/**
 * `syncer accounts new <plugin> <name>` prints a block with only what the plugin uses, ready to paste: the
 * config it makes passes `config check`. A name that is no account is an error listing the accounts there are.
 */

function block(plugin: string, name = "office"): { text: string; account: Record<string, any> } {
  const result = runSyncer(["accounts", "new", plugin, name], { cwd: tempDir() });
  expect(result.code).toBe(0);
  return { text: result.stdout, account: (parseToml(result.stdout) as any).accounts[name] };
}

/** The block pasted into an otherwise empty config, checked by `config check`. */
function check(text: string, env: Record<string, string> = {}) {
  return runSyncer(["config", "check", "--config", writeConfig(tempDir(), text)], { env });
}

describe("syncer accounts new", () => {
  test("a plugin that needs no credentials (csv) gets no address, username or password line", () => {
    const { text, account } = block("csv");
    expect(Object.keys(account).sort()).toEqual(["custom_fields", "plugin"]);
    expect(text).not.toMatch(/^#?\s*(address|username|password)\b/m);
    expect(account.custom_fields).toEqual({ path: "hosts.csv", hostname_column: "host", delimiter: "," });
    expect(text).toContain("# is_master = false");
    expect(check(text).code).toBe(0);
  });

  test("a plugin that fetches a URL without logging in (json) gets its address, the HTTP fields, and no password", () => {
    const { text, account } = block("json");
    expect(Object.keys(account).sort()).toEqual(["address", "custom_fields", "plugin"]);
    expect(text).not.toContain("password");
    expect(text).toContain("# timeout = 30");
    expect(text).toContain("# verify_cert = true");
    const uncommented = text.replace(/^# (timeout|verify_cert) = /gm, "$1 = ");
    expect(check(uncommented).code).toBe(0);
  });

  test("a plugin that logs in (rest) gets username and a password reference, never a secret", () => {
    const { account } = block("rest", "cmdb-prod");
    expect(account).toMatchObject({ address: "https://cmdb.example.com/api", username: "syncer", password: "${env:CMDB_PROD_PASSWORD}" });
    const result = check(block("rest", "cmdb-prod").text, { CMDB_PROD_PASSWORD: "s3cret-value" });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("a plugin that imports nothing (ansible) gets no ownership settings", () => {
    const { text, account } = block("ansible");
    expect(text).not.toMatch(/is_master|delete_missing|delete_limit/);
    expect(Object.keys(account).sort()).toEqual(["custom_fields", "plugin"]);
  });
});

describe("a name that is no account lists the accounts there are", () => {
  const config = writeConfig(
    tempDir(),
    `[accounts.demo]\nplugin = "csv"\n[accounts.demo.custom_fields]\npath = ${JSON.stringify(DEMO_CSV)}\nhostname_column = "host"\n[accounts.office]\nplugin = "csv"\ncustom_fields = { path = "office.csv" }\n[accounts.inv]\nplugin = "ansible"\n`,
  );
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);

  test("a run names the plugin's accounts and the closest one", () => {
    const result = cli("csv", "import_hosts", "demoo");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no account 'demoo'; did you mean 'demo'? (accounts of csv: demo, office)");
  });

  test("plugins call and an inventory name the accounts too", () => {
    expect(cli("plugins", "call", "csv", "import_hosts", "nope").stderr).toContain("no account 'nope' (accounts: demo, office, inv)");
    expect(cli("migrate").code).toBe(0);
    expect(cli("ansible", "inventory", "nope").stderr).toContain("no account 'nope' (accounts of ansible: inv)");
  });
});
