import * as v from "valibot";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { asSyncerError, SyncerError, type PluginError } from "../../core/errors.ts";
import { formatProblem } from "../../core/problems.ts";
import type { Storage } from "../../db/storage.ts";
import { EndpointAnswerSchema, ExportResultSchema, HookAnswerSchema } from "../abi.ts";
import { discoverPlugins } from "../registry.ts";
import type { Account } from "../options.ts";
import type { Plugin } from "../plugin.ts";
import type { PluginRuntime } from "../runtime.ts";
import type { Setup } from "../setup.ts";
import { isHookEvent, readFixtures, type Exchange, type Fixture } from "./fixture.ts";
import { clip, RecordedUpstream } from "./recorded-upstream.ts";

/**
 * `syncer plugins test <dir>`: each fixture of a plugin run the way a real run calls the plugin, with
 * the real run's checks: the plugin loaded from its folder by the same loader (the manifest check), in
 * a sandbox linked with only what it is granted (permissions; HTTP only to the account's address and
 * the manifest's hosts), an import paged with each page checked in the sandbox as a run checks it, and
 * every other answer checked against the schema the run or route of its kind applies. Each fixture gets
 * a database of its own (the cache, events and host reads are real), thrown away after it.
 */

/** What a fixture's call produced. */
export type FixtureActual = { pages: unknown[] } | { answer: unknown } | { error: PluginError };

export interface FixtureReport {
  name: string;
  description?: string;
  ok: boolean;
  /** Why it failed, each a sentence; empty when it passed. */
  problems: string[];
  actual: FixtureActual;
  /** The cache of the call's namespace after the call. */
  kv: Record<string, string>;
}

export interface PluginTestReport {
  plugin: string;
  dir: string;
  fixtures: FixtureReport[];
}

/** Opens the setup of a config file with a database and a runtime (the CLI's), for `use`; closes them after. */
export type OpenRuntime = <T>(configPath: string, use: (setup: Setup, storage: Storage, runtime: PluginRuntime) => Promise<T>) => Promise<T>;

export interface PluginTestOptions {
  /** Only the fixture with this name. */
  only?: string;
  /** Record: the upstream's requests go to this address, and the fixture's http becomes what was exchanged. */
  recordFrom?: string;
  /** Write what the plugin answered into each fixture's expect (and, recording, its http). */
  update?: boolean;
}

/** Most pages a fixture's import may answer: a plugin that never says next = null fails instead of running on. */
const MAX_PAGES = 1000;

/** The plugin in `dir` as syncer loads it: a refused manifest is an error naming each problem. */
function loadPlugin(dir: string): Plugin {
  const registry = discoverPlugins([dir], {});
  const problems = [...registry.errors, ...registry.refused];
  if (problems.length > 0) throw new SyncerError("manifest", `syncer refuses the plugin in ${dir}:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`);
  const [plugin] = registry.plugins.values();
  if (!plugin) throw new SyncerError("usage", `${dir} has no plugin.json`);
  return plugin;
}

const tomlLine = (key: string, value: unknown) => `${JSON.stringify(key)} = ${JSON.stringify(value)}`;

/** The config a fixture runs under: the plugin's folder, a database in `work`, and its account "test". */
function fixtureConfig(dir: string, work: string, ident: string, fixture: Fixture, upstream: string): string {
  const lines = ["[server]", tomlLine("data_dir", join(work, "data")), "[plugins]", `directories = [${JSON.stringify(dir)}]`];
  const account = fixture.account;
  if (account) {
    lines.push("[accounts.test]", tomlLine("plugin", ident), tomlLine("address", account.address ?? upstream));
    if (account.username !== undefined) lines.push(tomlLine("username", account.username));
    if (account.password !== undefined) lines.push(tomlLine("password", account.password));
    lines.push("[accounts.test.custom_fields]");
    for (const [key, value] of Object.entries(account.custom_fields ?? {})) lines.push(tomlLine(key, value));
  }
  return lines.join("\n") + "\n";
}

/** Runs every fixture of the plugin in `dir` (or the one named); the report says what passed and why the rest did not. */
export async function testPlugin(dir: string, options: PluginTestOptions, open: OpenRuntime): Promise<PluginTestReport> {
  const folder = resolve(dir);
  const plugin = loadPlugin(folder);
  const fixtures = readFixtures(folder).filter((entry) => options.only === undefined || entry.name === options.only);
  if (fixtures.length === 0) throw new SyncerError("usage", `${folder} has no fixture '${options.only}'`);
  const reports: FixtureReport[] = [];
  for (const { name, path, fixture } of fixtures) {
    const work = mkdtempSync(join(tmpdir(), `syncer-plugin-test-`));
    const upstream = new RecordedUpstream(fixture.http, options.recordFrom);
    try {
      const config = join(work, "sync.config.toml");
      writeFileSync(config, fixtureConfig(folder, work, plugin.ident, fixture, upstream.url));
      let outcome: { actual: FixtureActual; kv: Record<string, string> };
      try {
        outcome = await open(config, (setup, storage, runtime) => runFixture(setup, storage, runtime, fixture));
      } catch (error) {
        // The fixture itself is wrong (an account the config refuses, a call the plugin does not have): it fails alone.
        const failure = asSyncerError(error);
        reports.push({ name, ok: false, problems: [`${path}: ${failure.message}`], actual: failed("runtime", failure.message), kv: {} });
        continue;
      }
      const { actual, kv } = outcome;
      upstream.stop();
      const problems = [...upstream.problems, ...(options.recordFrom ? [] : compare(fixture, actual, kv))];
      reports.push({ name, ...(fixture.description ? { description: fixture.description } : {}), ok: problems.length === 0, problems, actual, kv });
      if (options.update) writeFileSync(path, JSON.stringify(updated(fixture, actual, kv, options.recordFrom ? upstream.recorded : undefined), null, 2) + "\n");
    } finally {
      upstream.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }
  return { plugin: plugin.ident, dir: folder, fixtures: reports };
}

/** The fixture with what the plugin answered as its expectation. */
function updated(fixture: Fixture, actual: FixtureActual, kv: Record<string, string>, recorded: Exchange[] | undefined): Fixture {
  const expect: Fixture["expect"] = "error" in actual ? { error: { kind: actual.error.kind, message: actual.error.message } } : actual;
  if (fixture.expect.kv !== undefined || Object.keys(kv).length > 0) expect.kv = kv;
  return { ...fixture, ...(recorded ? { http: recorded } : {}), expect };
}

async function runFixture(setup: Setup, storage: Storage, runtime: PluginRuntime, fixture: Fixture): Promise<{ actual: FixtureActual; kv: Record<string, string> }> {
  const [plugin] = [...setup.registry.plugins.values()].filter((candidate) => candidate.origin === "directory");
  if (!plugin) throw new SyncerError("internal", "the plugin under test is not in the registry");
  const account = fixture.account ? setup.accounts.get("test") : undefined;
  const namespace = { plugin: plugin.ident, account: account ? "test" : "" };
  const now = Date.now();
  for (const [key, value] of Object.entries(fixture.kv ?? {})) storage.kv.set(namespace, key, value, undefined, now);
  const actual = await callAsARunDoes(setup, runtime, plugin, account, fixture);
  const kv: Record<string, string> = {};
  for (const key of storage.kv.keys(namespace, { prefix: "", limit: 1000 }, Date.now()).keys) kv[key] = storage.kv.get(namespace, key, Date.now()) ?? "";
  return { actual, kv };
}

const failed = (kind: PluginError["kind"], message: string): FixtureActual => ({ error: { kind, message } });

/** An answer checked against the schema the run or the route of its kind applies. */
function checked(schema: v.GenericSchema, value: unknown, what: string): FixtureActual {
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return { answer: value };
  const [issue] = parsed.issues;
  const at = v.getDotPath(issue);
  return failed("abi", `${what}: ${at ? `${at}: ` : ""}${issue.message}`);
}

async function callAsARunDoes(setup: Setup, runtime: PluginRuntime, plugin: Plugin, account: Account | undefined, fixture: Fixture): Promise<FixtureActual> {
  const { manifest } = plugin;
  const pluginOptions = setup.pluginOptions.get(plugin.ident);
  const call = fixture.call;
  const command = manifest.commands[call];
  if (command) {
    if (command.account === "required" && !account) throw new SyncerError("usage", `${call} needs an account: give the fixture one ("account": {})`);
    if (command.kind === "import" || command.kind === "inventorize") return pages(setup, runtime, plugin, call, account);
    const result = await runtime.call(plugin, call, { account, pluginOptions, input: fixture.input ?? null });
    if (!result.ok) return { error: result.error };
    if (command.kind === "export") return checked(ExportResultSchema, result.value, `${plugin.ident} ${call} answered something that is not {"results": [...]}`);
    return { answer: result.value };
  }
  const hook = manifest.hooks.find((candidate) => (isHookEvent(call) ? candidate.event === call : candidate.export === call));
  if (hook) {
    const input = { event: hook.event, run: { id: null, plugin: "test", command: "import_hosts", account: "test" }, changes: [], ...(fixture.input as object | undefined) };
    const result = await runtime.call(plugin, hook.export, { input, pluginOptions });
    if (!result.ok) return { error: result.error };
    return checked(HookAnswerSchema, result.value, `hook ${plugin.ident}.${hook.export} answered something that is not null, {"changes": [...]} or {"reject": "..."}`);
  }
  const [method, path] = call.split(" ");
  const endpoint = manifest.endpoints.find((candidate) => candidate.method === method && candidate.path === path);
  if (endpoint) {
    const given = (fixture.input ?? {}) as { query?: unknown; headers?: unknown; body?: unknown };
    const input = { method, path, query: given.query ?? {}, headers: given.headers ?? {}, body: given.body ?? null };
    const result = await runtime.call(plugin, endpoint.export, { input, pluginOptions });
    if (!result.ok) return { error: result.error };
    return checked(EndpointAnswerSchema, result.value, `plugin ${plugin.ident} endpoint ${endpoint.export} answered something that is not {status, headers, body}`);
  }
  throw new SyncerError("usage", `the fixture calls '${call}': plugin ${plugin.ident} has no such command, hook event or endpoint ("METHOD /path")`);
}

/** An import's pages, asked for as a run asks: each checked in the sandbox, the next asked for with the cursor until it is null. */
async function pages(setup: Setup, runtime: PluginRuntime, plugin: Plugin, command: string, account: Account | undefined): Promise<FixtureActual> {
  const answered: unknown[] = [];
  const seen = new Map<string, number>();
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await runtime.call(plugin, command, { account, input: { page: cursor, page_size: setup.config.inventory.page_size }, answer: "host-page" });
    if (!result.ok) return { error: { ...result.error, message: `page ${page + 1}: ${result.error.message}` } };
    const value = result.value as { hosts: { hostname: string }[]; next: string | null };
    answered.push(value);
    // As the run's staging does: a hostname twice in one import is refused, naming both places.
    for (const [index, record] of value.hosts.entries()) {
      const hostname = setup.config.inventory.lowercase_hostnames ? record.hostname.trim().toLowerCase() : record.hostname.trim();
      const first = seen.get(hostname);
      if (first !== undefined) return failed("abi", `host ${hostname} is in the import twice: page ${first + 1} and page ${page + 1}, record ${index + 1}`);
      seen.set(hostname, page);
    }
    if (value.next === null) return { pages: answered };
    if (value.next === cursor) return failed("abi", `${plugin.ident} ${command} returned the cursor ${JSON.stringify(cursor)} twice in a row (page ${page + 1}); it would never finish`);
    cursor = value.next;
  }
  return failed("abi", `${plugin.ident} ${command} answered ${MAX_PAGES} pages without next = null`);
}

/** Where the actual answer and the cache differ from what the fixture expects, each a sentence. */
function compare(fixture: Fixture, actual: FixtureActual, kv: Record<string, string>): string[] {
  const { expect } = fixture;
  const problems: string[] = [];
  if ("error" in actual) {
    if (!expect.error) problems.push(`the call failed (${actual.error.kind}): ${actual.error.message}`);
    else if (actual.error.kind !== expect.error.kind || (expect.error.message !== undefined && !actual.error.message.includes(expect.error.message))) {
      problems.push(`the call failed with ${actual.error.kind}: ${actual.error.message}; the fixture expects ${expect.error.kind}${expect.error.message ? ` with "${expect.error.message}"` : ""}`);
    }
  } else if (expect.error) {
    problems.push(`the call succeeded; the fixture expects it to fail with ${expect.error.kind}`);
  } else if ("pages" in actual) {
    if (expect.pages === undefined) problems.push("the call answered pages; the fixture expects no pages: give it expect.pages");
    else problems.push(...difference(expect.pages, actual.pages, "pages"));
  } else if (expect.answer === undefined && expect.pages !== undefined) {
    problems.push("the call answered one answer, not pages: give the fixture expect.answer");
  } else {
    problems.push(...difference(expect.answer ?? null, actual.answer, "answer"));
  }
  if (expect.kv !== undefined) problems.push(...difference(expect.kv, kv, "kv"));
  return problems;
}

/** The first place where `actual` differs from `expected`, as a sentence; none when they are equal. */
export function difference(expected: unknown, actual: unknown, at: string): string[] {
  if (Bun.deepEquals(expected, actual, true)) return [];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
      const inner = difference(expected[i], actual[i], `${at}[${i}]`);
      if (inner.length > 0) return inner;
    }
    return [`${at}: ${actual.length} items, the fixture expects ${expected.length}${actual.length > expected.length ? `; the first extra is ${clip(JSON.stringify(actual[expected.length]))}` : ""}`];
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
  if (isObject(expected) && isObject(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(key in actual)) return [`${at}.${key}: missing; the fixture expects ${clip(JSON.stringify(expected[key]))}`];
      if (!(key in expected)) return [`${at}.${key}: ${clip(JSON.stringify(actual[key]))}, which the fixture does not expect`];
      const inner = difference(expected[key], actual[key], `${at}.${key}`);
      if (inner.length > 0) return inner;
    }
  }
  return [`${at}: ${clip(JSON.stringify(actual))}; the fixture expects ${clip(JSON.stringify(expected))}`];
}
