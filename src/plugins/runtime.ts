import type { PluginError } from "../core/errors.ts";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Config } from "../config/load.ts";
import type { Logger } from "../core/logger.ts";
import { secretsIn } from "../core/redact.ts";
import { selfCommand } from "../core/runtime-info.ts";
import type { CallRequest } from "./abi.ts";
import { writeJson } from "./raw-json.ts";
import { locateAbort } from "./abort-location.ts";
import { answerHostCall } from "./host/plugin-data.ts";
import { PluginStore } from "./host/store.ts";
import type { Storage } from "../db/storage.ts";
import { checkedRecords, parseAnswer, type AnswerCheck } from "./answers.ts";
import type { HttpPolicy } from "./host/http-client.ts";
import type { CommandSpec } from "./manifest/schema.ts";
import { parseBool, type Account, type ResolvedOption } from "./options.ts";
import type { Plugin } from "./plugin.ts";
import type { Registry } from "./registry.ts";
import type { CallContext, LogLine } from "./protocol.ts";
import { PluginPool } from "./sandbox/pool.ts";
import type { CallOutcome, HostCalls } from "./sandbox/process.ts";

export interface CallOptions {
  account?: Account;
  /**
   * The command's own input (becomes `input` in the request). RawJson members are written as they
   * are: hot paths pass a page of hosts as the database's text, without parsing it.
   */
  input?: unknown;
  /** The hostnames of the page of hosts the input carries, UTF-8, one a line: an inventory page's answer may key only these. */
  pageHostnames?: Uint8Array;
  dryRun?: boolean;
  /** Options for a call without an account (the plugin's, from env, [plugins.<ident>] and defaults). */
  pluginOptions?: Record<string, ResolvedOption>;
  /** Log the plugin's HTTP requests, redacted. */
  debug?: boolean;
  runId?: number;
  /** Have the sandbox process check the answer against this ABI schema before it crosses over. */
  answer?: AnswerCheck;
  /** False: wait for the plugin's running sandbox process rather than start another (PluginPool.call). */
  spread?: boolean;
}

/** What a plugin call produced: its JSON answer or an error with a kind, and its log lines. */
export type PluginCallResult =
  | { ok: true; value: unknown; logs: LogLine[]; droppedLogs: number; ms: number }
  | { ok: false; error: PluginError; logs: LogLine[]; droppedLogs: number; ms: number };


/** A module's identity: the SHA-256 of its bytes. */
export const moduleDigest = (wasm: Uint8Array): string => createHash("sha256").update(wasm).digest("hex");

const optionValues = (options: Record<string, ResolvedOption>) => Object.fromEntries(Object.entries(options).map(([name, option]) => [name, option.value ?? null]));

/** The export a command runs: the one its manifest names, else the command's own name. */
const exportOf = (plugin: Plugin, commandOrExport: string): string => plugin.manifest.commands[commandOrExport]?.export ?? commandOrExport;

/** A checked host page as the plugin answered it (for callers that want the value, not the run's fast path). */
function checkedHostPage(outcome: Extract<CallOutcome, { ok: true }>): { ok: true; value: unknown } {
  return { ok: true, value: { hosts: checkedRecords(outcome.output), next: outcome.facts?.cursor ?? null } };
}

/** The account's address host: where its plugin may send HTTP by default. */
function addressHost(address: string | undefined): string[] {
  if (!address) return [];
  try {
    return [new URL(address.includes("://") ? address : `http://${address}`).hostname];
  } catch {
    return [];
  }
}

/**
 * Runs plugin commands: one pool of sandbox processes per plugin, started on first use. Builds the
 * ABI v1 request from the account and its resolved options, and the HTTP policy from the account
 * (address host, verify_cert, timeout) and the manifest's extra hosts.
 */
export class PluginRuntime {
  private readonly pools = new Map<string, PluginPool>();
  /** The SHA-256 of the module each pool runs, by plugin ident: a reload compares them with the files (moduleDigest). */
  private readonly modules = new Map<string, string>();
  /** Told the outcome of every call ("ok" or the error kind): the daemon counts them for /metrics. */
  onCall: (plugin: string, outcome: string) => void = () => {};

  /**
   * `storage`: where the plugins' cache, events and host reads live (the daemon's or the CLI's); without
   * it those host calls fail with a clear error.
   */
  constructor(
    private readonly config: Config,
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly storage?: Storage,
    private readonly command: string[] = selfCommand(),
  ) {}

  private pool(plugin: Plugin): PluginPool {
    let pool = this.pools.get(plugin.ident);
    if (!pool) {
      const { manifest } = plugin;
      const sandbox = this.config.sandbox;
      const memoryMb = Math.min(manifest.limits.memory_mb ?? sandbox.memory_mb, sandbox.memory_mb);
      const wasm = plugin.wasm();
      pool = new PluginPool(
        {
          type: "load",
          ident: plugin.ident,
          maxPages: Math.floor((memoryMb * 1024 * 1024) / 65536),
          permissions: manifest.permissions,
          maxOutputBytes: sandbox.max_output_mb * 1024 * 1024,
        },
        wasm,
        { processes: sandbox.processes, queueLimit: sandbox.queue_limit, command: this.command },
        this.log,
        this.hostCallsOf(plugin),
      );
      this.pools.set(plugin.ident, pool);
      this.modules.set(plugin.ident, moduleDigest(wasm));
    }
    return pool;
  }

  /** The daemon's side of the plugin's host calls for its cache, events and host reads; none without storage. */
  private hostCallsOf(plugin: Plugin): HostCalls | undefined {
    const { kv, events, hosts } = plugin.manifest.permissions;
    if (!this.storage || (!kv && !events && !hosts)) return undefined;
    const store = new PluginStore(this.storage, plugin.ident);
    return (name, args, context) => answerHostCall(store, name, args, context);
  }

  /** The modules this runtime has loaded: plugin ident → SHA-256 of the module's bytes. */
  loadedModules(): ReadonlyMap<string, string> {
    return this.modules;
  }

  private httpPolicy(plugin: Plugin, account: Account | undefined, dryRun: boolean): Omit<HttpPolicy, "log"> | undefined {
    const http = plugin.manifest.permissions.http;
    if (!http) return undefined;
    const fields = account?.config.custom_fields ?? {};
    const timeoutSeconds = Number(fields.timeout ?? 30);
    return {
      allowedHosts: [...addressHost(account?.config.address), ...http.hosts],
      timeoutMs: (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : 30) * 1000,
      maxResponseBytes: this.config.sandbox.max_output_mb * 1024 * 1024,
      maxRedirects: 5,
      retries: 2,
      // TLS is verified unless the account clearly says not to.
      verifyTls: parseBool(fields.verify_cert) ?? true,
      dryRun,
    };
  }

  /** The time limit of one call: the account's, else the command's, else the plugin's, else [sandbox]'s. */
  timeoutMs(plugin: Plugin, command: CommandSpec | undefined, account: Account | undefined): number {
    const seconds = account?.config.timeout_seconds ?? command?.timeout_seconds ?? plugin.manifest.limits.timeout_seconds ?? this.config.sandbox.timeout_seconds;
    return seconds * 1000;
  }

  /** The file a command's file_option names for this account, resolved against the config file's folder; unset: none. */
  private handedFile(command: CommandSpec | undefined, account: Account | undefined): { path: string } | { error: PluginError } | undefined {
    const option = command?.file_option;
    const value = option ? account?.options[option]?.value : undefined;
    if (!option || typeof value !== "string" || value === "") return undefined;
    const path = resolve(this.config.source.dir, value);
    if (!existsSync(path)) {
      return { error: { kind: "options", message: `account ${account!.name}: ${option} = ${JSON.stringify(value)}: no such file (${path})` } };
    }
    return { path };
  }

  /** Calls a command declared in the manifest, or (for authors and hooks) any export by name. */
  async call(plugin: Plugin, commandOrExport: string, options: CallOptions = {}): Promise<PluginCallResult> {
    const outcome = await this.callOnce(plugin, commandOrExport, options);
    const answer = outcome.ok ? (options.answer === "host-page" ? checkedHostPage(outcome) : parseAnswer(outcome.output, plugin.ident, exportOf(plugin, commandOrExport))) : outcome;
    const { logs, droppedLogs, ms } = outcome;
    const result: PluginCallResult = answer.ok ? { ok: true, value: answer.value, logs, droppedLogs, ms } : { ok: false, error: answer.error, logs, droppedLogs, ms };
    this.onCall(plugin.ident, result.ok ? "ok" : result.error.kind);
    return result;
  }

  /**
   * The same, the answer left as the plugin wrote it, with what the sandbox's check learnt of it
   * (`options.answer`): a paged import asks for its next page before parsing this one.
   */
  async callUnparsed(plugin: Plugin, commandOrExport: string, options: CallOptions = {}): Promise<CallOutcome> {
    const outcome = await this.callOnce(plugin, commandOrExport, options);
    this.onCall(plugin.ident, outcome.ok ? "ok" : outcome.error.kind);
    return outcome;
  }

  private async callOnce(plugin: Plugin, commandOrExport: string, options: CallOptions): Promise<CallOutcome> {
    const command = plugin.manifest.commands[commandOrExport];
    const exportName = exportOf(plugin, commandOrExport);
    const { account } = options;
    const request: CallRequest = {
      api_version: 1,
      plugin: plugin.ident,
      command: commandOrExport,
      account: account
        ? {
            name: account.name,
            address: account.config.address ?? "",
            username: account.config.username ?? "",
            password: account.config.password ?? "",
            options: optionValues(account.options),
            custom_fields: account.config.custom_fields,
          }
        : null,
      options: optionValues(account?.options ?? options.pluginOptions ?? {}),
      dry_run: options.dryRun ?? false,
      input: null,
    };
    const file = this.handedFile(command, account);
    if (file && "error" in file) return { ok: false, error: file.error, logs: [], droppedLogs: 0, ms: 0 };
    const context: CallContext = {
      http: this.httpPolicy(plugin, account, options.dryRun ?? false),
      debug: options.debug ?? false,
      account: account?.name ?? null,
      runId: options.runId,
      file: file?.path,
      answer: options.answer,
    };
    const json = writeJson({ ...request, input: options.input ?? null });
    const secrets = secretsIn(json);
    if (secrets.length > 0) context.secrets = secrets;
    const sections = { request: json, hostnames: options.pageHostnames };
    const outcome = await this.pool(plugin).call(exportName, sections, context, this.timeoutMs(plugin, command, account), options.spread ?? true);
    return outcome.ok ? outcome : { ...outcome, error: locateAbort(plugin, outcome.error) };
  }

  stats(): Record<string, { processes: number; idle: number; queued: number }> {
    return Object.fromEntries([...this.pools].map(([ident, pool]) => [ident, pool.stats]));
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}
