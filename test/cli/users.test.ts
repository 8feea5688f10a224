import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { BINARY, cleanEnv, runSyncer, tempDir, writeConfig } from "../helpers/binary.ts";

/** `syncer users`: web UI users made, listed, disabled and given passwords from the shell, the password never an argument. */

function setup() {
  const dir = tempDir();
  const config = writeConfig(dir, `[server]\ndata_dir = "data"\n`);
  expect(runSyncer(["migrate", "--config", config]).code).toBe(0);
  return { dir, config, database: join(dir, "data", "syncer.db") };
}

/** Runs the binary with `stdin` as its standard input (a pipe, as a script would). */
function withInput(args: string[], stdin: string) {
  const result = Bun.spawnSync([BINARY, ...args], { env: cleanEnv(), stdin: Buffer.from(stdin), stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("syncer users", () => {
  test("create reads the password's first line from standard input, stores an argon2id hash and lists the user", () => {
    const { config, database } = setup();
    const created = withInput(["users", "create", "ada", "--role", "operator", "--config", config], "a long enough password\nignored second line\n");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created user 'ada' (operator)");
    const row = new Database(database, { readonly: true }).query<{ password_hash: string }, []>("SELECT password_hash FROM users").get()!;
    expect(row.password_hash).toStartWith("$argon2id$");
    expect(row.password_hash).not.toContain("a long enough password");
    const listed = JSON.parse(runSyncer(["users", "list", "--json", "--config", config]).stdout);
    expect(listed.users).toEqual([expect.objectContaining({ name: "ada", role: "operator", scopes: ["hosts:read", "runs:trigger", "events:read"], disabled_at: null })]);
    expect(JSON.stringify(listed)).not.toContain("argon2");
  });

  test("a password is never an argument; a short or missing one, a bad role or name, or a taken name changes nothing", () => {
    const { config, database } = setup();
    const count = () => new Database(database, { readonly: true }).query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()!.n;
    expect(withInput(["users", "create", "ada", "--role", "admin", "--password", "x", "--config", config], "").code).toBe(2);
    const short = withInput(["users", "create", "ada", "--role", "admin", "--config", config], "short\n");
    expect([short.code, short.stderr]).toEqual([2, "error: the password is too short: at least 12 characters\n"]);
    const none = withInput(["users", "create", "ada", "--role", "admin", "--config", config], "");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no password on standard input");
    expect(withInput(["users", "create", "ada", "--role", "root", "--config", config], "a long enough password\n").stderr).toContain("unknown role 'root'");
    expect(withInput(["users", "create", "Ada Lovelace", "--role", "admin", "--config", config], "a long enough password\n").code).toBe(2);
    expect(count()).toBe(0);
    expect(withInput(["users", "create", "ada", "--role", "admin", "--config", config], "a long enough password\n").code).toBe(0);
    const again = withInput(["users", "create", "ada", "--role", "viewer", "--config", config], "another long password\n");
    expect([again.code, again.stderr]).toEqual([1, "error: a user named 'ada' exists; `syncer users passwd ada` sets a new password\n"]);
    expect(count()).toBe(1);
  });

  test("disable, enable and passwd; an unknown user is named with a did-you-mean", () => {
    const { config } = setup();
    withInput(["users", "create", "ada", "--role", "admin", "--config", config], "a long enough password\n");
    expect(runSyncer(["users", "disable", "ada", "--config", config]).stdout).toBe("disabled user 'ada'; 0 session(s) ended\n");
    expect(runSyncer(["users", "disable", "ada", "--config", config]).stdout).toBe("user 'ada' was already disabled; nothing changed\n");
    expect(runSyncer(["users", "enable", "ada", "--config", config]).stdout).toBe("enabled user 'ada'\n");
    expect(withInput(["users", "passwd", "ada", "--config", config], "a brand new password\n").stdout).toBe("set a new password for 'ada'; 0 session(s) ended\n");
    const unknown = withInput(["users", "passwd", "adaa", "--config", config], "a brand new password\n");
    expect([unknown.code, unknown.stderr]).toEqual([1, "error: no user 'adaa'; did you mean 'ada'?; `syncer users list` shows them\n"]);
  });
});
