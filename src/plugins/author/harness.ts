/**
 * Test harness for Syncer plugins (copied into each scaffolded plugin as test/harness.ts).
 * It runs the plugin the way Syncer does, through the real `syncer` binary and its sandbox: a config
 * with one account is written to a temp directory, the plugin's folder is the plugins directory, and
 * `syncer plugins call … --json` answers with the plugin's JSON result, its logs and errors. An import or
 * inventorize command gets the first page's input ({page: null, page_size}) unless given one, and its answer
 * is checked as a run checks each page: a page or host record a run would refuse fails the call (kind abi).
 * Fake upstreams: start them with `fakeUpstream(handler)` and point the account's address at them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The syncer binary: $SYNCER_BIN, else `syncer` on PATH. */
export const SYNCER = process.env.SYNCER_BIN ?? Bun.which("syncer") ?? "syncer";

export interface AccountSpec {
  address?: string;
  username?: string;
  password?: string;
  custom_fields?: Record<string, string | number | boolean | string[]>;
}

export type CallResult =
  | { ok: true; value: unknown; logs: { level: string; message: string }[] }
  | { ok: false; error: { kind: string; message: string }; logs: { level: string; message: string }[] };

/** A config with a data directory beside it, `extra` lines, and, given `account`, an account `test` of plugin `ident`. */
export function testConfig(ident: string, account: AccountSpec | undefined, extra: string[] = []): string {
  const lines = [`[server]`, `data_dir = "data"`, ...extra];
  if (account) {
    lines.push(`[accounts.test]`, `plugin = ${JSON.stringify(ident)}`);
    for (const key of ["address", "username", "password"] as const) if (account[key] !== undefined) lines.push(`${key} = ${JSON.stringify(account[key])}`);
    lines.push(`[accounts.test.custom_fields]`);
    for (const [key, value] of Object.entries(account.custom_fields ?? {})) lines.push(`${key} = ${JSON.stringify(value)}`);
  }
  return lines.join("\n") + "\n";
}

/** Calls one command of the plugin in `pluginDir` for an account built from `account`. */
export async function callPlugin(pluginDir: string, ident: string, command: string, options: { account?: AccountSpec; input?: unknown; dryRun?: boolean } = {}): Promise<CallResult> {
  const work = mkdtempSync(join(tmpdir(), `${ident}-test-`));
  try {
    const account = options.account;
    writeFileSync(join(work, "sync.config.toml"), testConfig(ident, account, [`[plugins]`, `directories = [${JSON.stringify(resolve(pluginDir))}]`]));
    const args = [SYNCER, "plugins", "call", ident, command, ...(account ? ["test"] : []), "--json", "--config", join(work, "sync.config.toml")];
    if (options.input !== undefined) args.push("--input", JSON.stringify(options.input));
    if (options.dryRun) args.push("--dry-run");
    // Asynchronous, so a fake upstream served from this process can answer while syncer runs.
    const run = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
    try {
      return JSON.parse(out) as CallResult;
    } catch {
      throw new Error(`syncer did not answer with JSON (exit ${code}):\n${out}\n${err}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** A local HTTP server standing in for the system the plugin talks to; `requests` lists what it was sent; stop() it when done. */
export function fakeUpstream(handler: (request: Request) => Response | Promise<Response>): { url: string; requests: SeenRequest[]; stop(): void } {
  const requests: SeenRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      requests.push({ method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers) });
      return handler(request);
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}
