/**
 * Calls one command of a first-party (built-in) plugin through the compiled binary, the way an
 * operator's `syncer plugins call` does: a config with one account `test` is written to a temp
 * directory (files named in `files` are written beside it), and the JSON answer is returned.
 * Asynchronous, so a fake upstream served from the test process can answer while syncer runs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, cleanEnv, tempDir, writeConfig } from "./binary.ts";

export interface AccountSpec {
  address?: string;
  username?: string;
  password?: string;
  custom_fields?: Record<string, string | number | boolean | string[]>;
}

export type CallResult =
  | { ok: true; value: unknown; logs: { level: string; message: string }[] }
  | { ok: false; error: { kind: string; message: string }; logs: { level: string; message: string }[] };

export type { AccountSpec as BuiltinAccount, CallResult as BuiltinCallResult };

/** A config with a data directory beside it, `extra` lines, and, given `account`, an account `test` of plugin `ident`. */
function testConfig(ident: string, account: AccountSpec | undefined, extra: string[] = []): string {
  const lines = [`[server]`, `data_dir = "data"`, ...extra];
  if (account) {
    lines.push(`[accounts.test]`, `plugin = ${JSON.stringify(ident)}`);
    for (const key of ["address", "username", "password"] as const) if (account[key] !== undefined) lines.push(`${key} = ${JSON.stringify(account[key])}`);
    lines.push(`[accounts.test.custom_fields]`);
    for (const [key, value] of Object.entries(account.custom_fields ?? {})) lines.push(`${key} = ${JSON.stringify(value)}`);
  }
  return lines.join("\n") + "\n";
}

export interface BuiltinCallOptions {
  account?: AccountSpec;
  input?: unknown;
  dryRun?: boolean;
  /** Files written into the config's folder before the call: name → content. */
  files?: Record<string, string | Uint8Array>;
  /** Extra TOML appended to the config (e.g. a [plugins.<ident>] table). */
  toml?: string;
}

export async function callBuiltin(ident: string, command: string, options: BuiltinCallOptions = {}): Promise<CallResult> {
  const dir = tempDir(`syncer-${ident}-`);
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  const { account } = options;
  const config = writeConfig(dir, testConfig(ident, account, options.toml ? [options.toml] : []));
  const args = [BINARY, "plugins", "call", ident, command, ...(account ? ["test"] : []), "--json", "--config", config];
  if (options.input !== undefined) args.push("--input", JSON.stringify(options.input));
  if (options.dryRun) args.push("--dry-run");
  const run = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", env: cleanEnv() });
  const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
  try {
    return JSON.parse(out) as CallResult;
  } catch {
    throw new Error(`syncer did not answer with JSON (exit ${code}):\n${out}\n${err}`);
  }
}
