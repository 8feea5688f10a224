import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hashToken, TokenStore } from "../../src/auth/tokens.ts";
import { openSqliteStorage } from "../../src/db/sqlite/storage.ts";
import { listTree, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

/** A config with its database in data/, created by `syncer migrate`, and the syncer CLI bound to it. */
function world() {
  const dir = tempDir("syncer-token-");
  const config = writeConfig(dir, '[server]\ndata_dir = "data"\nlisten = "127.0.0.1:9911"\n');
  const cli = (...args: string[]) => runSyncer([...args, "--config", config]);
  expect(cli("migrate").code).toBe(0);
  const create = (name: string, ...scopes: string[]) => {
    const result = cli("token", "create", "--name", name, ...scopes.flatMap((scope) => ["--scope", scope]), "--json");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as { token: string; id: number; name: string; scopes: string[] };
  };
  return { dir, config, cli, create, database: join(dir, "data", "syncer.db") };
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe("syncer token", () => {
  test("create prints the syncer_ token exactly once, says it will not be shown again and how to use it", () => {
    const { cli } = world();
    const result = cli("token", "create", "--name", "ci", "--scope", "hosts:read");
    expect(result.code).toBe(0);
    const token = result.stdout.match(/syncer_[0-9A-Za-z]{43}/)?.[0];
    expect(token).toBeDefined();
    expect(occurrences(result.stdout + result.stderr, token!)).toBe(1);
    expect(result.stdout).toContain("will not be shown again");
    expect(result.stdout).toContain('curl -H "Authorization: Bearer $SYNCER_TOKEN" http://127.0.0.1:9911/api/v1/hosts');
  });

  test('create --json answers {"token": …} with the token at the top level, beside its id, name and scopes', () => {
    const { cli } = world();
    const result = cli("token", "create", "--name", "ci", "--scope", "hosts:read", "--json");
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.token).toMatch(/^syncer_[0-9A-Za-z]{43}$/);
    expect(json).toMatchObject({ name: "ci", scopes: ["hosts:read"], prefix: json.token.slice(0, 12), revoked_at: null });
  });

  test("--scope is repeatable and takes comma-separated lists", () => {
    const { create } = world();
    expect(create("ops", "hosts:write,runs:read", "runs:trigger").scopes).toEqual(["hosts:write", "runs:read", "runs:trigger"]);
  });

  test("list shows name, prefix, scopes and state, never the token or its hash, as text and as JSON", () => {
    const { cli, create } = world();
    const ci = create("ci", "hosts:read");
    const admin = create("root", "admin");
    expect(cli("token", "revoke", "root").code).toBe(0);
    const text = cli("token", "list");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/#1\s+ci\s+syncer_\S{5}…\s+hosts:read\s+created \S+\s+never used\s+active/);
    expect(text.stdout).toMatch(/#2\s+root\s+.*revoked \d{4}-/);
    const json = cli("token", "list", "--json");
    expect(JSON.parse(json.stdout).tokens).toEqual([
      expect.objectContaining({ id: ci.id, name: "ci", prefix: ci.token.slice(0, 12), scopes: ["hosts:read"], revoked_at: null, last_used_at: null }),
      expect.objectContaining({ id: admin.id, name: "root", scopes: ["admin"], revoked_at: expect.any(String) }),
    ]);
    for (const output of [text.stdout, json.stdout]) {
      for (const secret of [ci.token, admin.token, hashToken(ci.token), hashToken(admin.token)]) expect(output).not.toContain(secret);
    }
  });

  test("revoke by name or id makes the token fail verification; revoking again says so and still exits 0", () => {
    const { cli, create, database } = world();
    const ci = create("ci", "hosts:read");
    const other = create("other", "hosts:read");
    const revoked = cli("token", "revoke", "ci");
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain("revoked token 'ci' (id 1)");
    expect(cli("token", "revoke", String(other.id)).code).toBe(0);
    const again = cli("token", "revoke", "ci", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: "ci", already_revoked: true, revoked_at: expect.any(String) });
    expect(cli("token", "revoke", "ci").stdout).toContain("was already revoked");

    const opened = openSqliteStorage(database);
    const store = new TokenStore(opened);
    expect(store.verify(ci.token)).toBeUndefined();
    expect(store.verify(other.token)).toBeUndefined();
    opened.close();
  });

  test("revoking a token that does not exist is a not_found error", () => {
    const { cli } = world();
    const result = cli("token", "revoke", "nobody", "--json");
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error).toEqual({ kind: "not_found", message: "no token named 'nobody'; `syncer token list` shows them" });
  });

  test("a second active token with the same name is a conflict error", () => {
    const { cli, create } = world();
    create("ci", "hosts:read");
    const result = cli("token", "create", "--name", "ci", "--scope", "admin");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("an active token named 'ci' exists");
    expect(result.stdout).not.toContain("syncer_");
  });

  test("an unknown scope is a usage error with a did-you-mean, and creates nothing", () => {
    const { cli, dir } = world();
    const before = listTree(dir);
    const result = cli("token", "create", "--name", "ci", "--scope", "runs:trigerr");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown scope 'runs:trigerr'; did you mean 'runs:trigger'?");
    expect(listTree(dir)).toEqual(before);
    const none = cli("token", "create", "--name", "ci");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("at least one scope");
  });

  test("the database holds only the token's SHA-256, never the token itself", () => {
    const { create, database, dir } = world();
    const { token } = create("ci", "admin");
    const files = readdirSync(join(dir, "data"));
    expect(files).toContain("syncer.db");
    for (const file of files) expect(readFileSync(join(dir, "data", file)).includes(token)).toBe(false);
    const sqlite = new Database(database, { readonly: true });
    const rows = sqlite.query<Record<string, unknown>, []>("SELECT * FROM api_tokens").all();
    sqlite.close();
    expect(rows).toEqual([expect.objectContaining({ name: "ci", hash: hashToken(token), prefix: token.slice(0, 12) })]);
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
