/**
 * Runs plugins the way the daemon does, from inside a test: a real PluginRuntime with real sandbox
 * processes, on a config written to a temp directory and a migrated database.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildPlugins } from "../../build.ts";
import { parseConfig } from "../../src/config/load.ts";
import { openSqliteStorage } from "../../src/db/sqlite/storage.ts";
import { createLogger } from "../../src/core/logger.ts";
import { PluginRuntime, type CallOptions } from "../../src/plugins/runtime.ts";
import { bindSetup, type Setup } from "../../src/plugins/setup.ts";
import { BINARY, writeConfig } from "./binary.ts";

export const FIXTURE_PLUGINS = resolve(import.meta.dir, "..", "fixtures", "plugins");

/** The bundled demo CSV (324 hosts) that `npm start` imports: real data for the csv plugin. */
export const DEMO_CSV = resolve(import.meta.dir, "..", "..", "plugins", "csv", "demo", "hosts.csv");

/** Builds the fixture plugins (skipped when their sources did not change). */
export function buildFixturePlugins(): void {
  buildPlugins(FIXTURE_PLUGINS);
}

/** The two ways a sandbox process is started: from source under Bun, and from the compiled binary. */
export const SANDBOX_COMMANDS: Record<string, string[]> = {
  source: [process.execPath, resolve(import.meta.dir, "..", "..", "src", "main.ts")],
  compiled: [BINARY],
};

export interface Harness {
  setup: Setup;
  runtime: PluginRuntime;
  dir: string;
  call(plugin: string, command: string, options?: CallOptions & { accountName?: string }): ReturnType<PluginRuntime["call"]>;
  close(): void;
}

/** A runtime over a config whose [plugins] directories include the fixtures; `extra` is appended TOML. */
export function pluginHarness(extra: string, options: { command?: string[]; env?: NodeJS.ProcessEnv; directories?: string[] } = {}): Harness {
  // Owned by the harness and removed by close(): harnesses are made in hooks, where afterAll cannot be registered.
  const dir = mkdtempSync(join(tmpdir(), "syncer-plugins-"));
  const directories = [FIXTURE_PLUGINS, ...(options.directories ?? [])].map((d) => JSON.stringify(d)).join(", ");
  const path = writeConfig(dir, `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${directories}]\n${extra}`);
  const config = parseConfig(readFileSync(path, "utf8"), path, options.env ?? {});
  const setup = bindSetup(config, options.env ?? {});
  const storage = openSqliteStorage(config.paths.database);
  storage.migrations.apply();
  const log = createLogger({ level: "error", format: "text", write: () => {} });
  const runtime = new PluginRuntime(config, setup.registry, log, storage, options.command ?? SANDBOX_COMMANDS.source);
  return {
    setup,
    runtime,
    dir,
    call(plugin, command, callOptions = {}) {
      const found = setup.registry.plugins.get(plugin);
      if (!found) throw new Error(`no plugin ${plugin}`);
      const account = callOptions.accountName ? setup.accounts.get(callOptions.accountName) : undefined;
      return runtime.call(found, command, { ...callOptions, account });
    },
    close() {
      runtime.close();
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const databaseOf = (harness: Harness) => harness.setup.config.paths.database;

/** This process's sandbox children for a plugin (Linux: by their SYNCER_SANDBOX environment). */
export function sandboxProcesses(ident: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const parent = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
        return Number(parent) === process.pid && readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SYNCER_SANDBOX=${ident}`);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
