/**
 * Test harness for Syncer plugins (copied into each scaffolded plugin as test/harness.ts).
 * It tests the plugin the way Syncer runs it: `syncer plugins test <dir> --json`, the real `syncer`
 * binary, runs each recorded case in test/fixtures/ with the checks of a real run (the manifest as
 * syncer loads it, a sandbox linked with only the permissions it grants, HTTP only to the account's
 * address, an import's every page checked as a run checks it, any other answer checked against its
 * kind's schema) and says, for each, what differed from the fixture's expectation.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

/** The syncer binary: $SYNCER_BIN, else `syncer` on PATH. */
export const SYNCER = process.env.SYNCER_BIN ?? Bun.which("syncer") ?? "syncer";

export interface FixtureReport {
  name: string;
  description?: string;
  ok: boolean;
  problems: string[];
  actual: unknown;
  kv: Record<string, string>;
}

export interface PluginTestReport {
  plugin: string;
  dir: string;
  fixtures: FixtureReport[];
}

/** Runs `syncer plugins test` on the plugin in `dir`: every fixture's report, or the error that stopped it (a refused manifest, a missing module). */
export function runFixtures(dir: string, only?: string): PluginTestReport {
  const args = [SYNCER, "plugins", "test", resolve(dir), "--json", ...(only ? ["--only", only] : [])];
  const run = Bun.spawnSync(args, { stdout: "pipe", stderr: "pipe" });
  const out = run.stdout.toString();
  try {
    return JSON.parse(out) as PluginTestReport;
  } catch {
    throw new Error(`syncer plugins test did not answer with a report (exit ${run.exitCode}):\n${out}${run.stderr.toString()}`);
  }
}

/** One test per fixture of the plugin in `dir`, each failing with the problems syncer found. */
export function testFixtures(dir: string): void {
  let report: PluginTestReport;
  try {
    report = runFixtures(dir);
  } catch (error) {
    test("syncer plugins test runs", () => {
      throw error;
    });
    return;
  }
  for (const fixture of report.fixtures) {
    test(`${fixture.name}${fixture.description ? `: ${fixture.description}` : ""}`, () => {
      expect(fixture.problems).toEqual([]);
    });
  }
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * For tests of your own beside the fixtures: a local HTTP server standing in for the system the plugin
 * talks to (point an account's address at `url`); `requests` lists what it was sent; stop() it when done.
 */
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
