import type { Command } from "commander";
import { existsSync } from "node:fs";
import { configPathIfAny, DEFAULT_CONFIG_PATHS, loadConfig, type Config } from "../config/load.ts";
import { discoverPlugins, type Registry } from "../plugins/registry.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { loadSetup, type Setup } from "../plugins/setup.ts";
import { backupDatabase as backupSqliteDatabase, type BackupReport } from "../db/sqlite/backup.ts";
import { MIGRATIONS } from "../db/sqlite/embedded-migrations.ts";
import { openSqliteStorage } from "../db/sqlite/storage.ts";
import type { Storage } from "../db/storage.ts";
import { SyncerError } from "../core/errors.ts";
import type { PluginRuntime } from "../plugins/runtime.ts";

/** Options every command may take; --config may stand before or after the command name. */
export interface CommonOptions {
  config?: string;
  json?: boolean;
}

export function commonOptions(command: Command): CommonOptions {
  return command.optsWithGlobals<CommonOptions>();
}

export function configFor(command: Command): Config {
  return loadConfig(commonOptions(command).config);
}

export function loggerFor(config: Config): Logger {
  return createLogger({ level: config.log.level, format: config.log.format });
}

/** The config bound to its plugins and accounts; every problem in either is one config error. */
export function setupFor(command: Command): Setup {
  return loadSetup(commonOptions(command).config);
}

/**
 * The plugins a command may describe: the config's (built in and from [plugins] directories), or, when there is
 * no config file anywhere, the built-in ones, with a note on stderr saying so. A config that is named or found
 * but broken is still an error.
 */
export function registryFor(command: Command): Registry {
  const explicit = commonOptions(command).config;
  if (configPathIfAny(explicit) !== undefined) return setupFor(command).registry;
  process.stderr.write(`note: no config file found (${DEFAULT_CONFIG_PATHS.join(", ")}; --config or $SYNCER_CONFIG name another): the built-in plugins only\n`);
  return discoverPlugins([]);
}

/** A flag's value that must be a positive whole number (--limit 20); a usage error otherwise. */
export function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new SyncerError("usage", `${flag} ${text}: give a positive whole number`);
  return value;
}

/** An --input flag's JSON; a usage error saying why when it is not JSON. */
export function parseInputFlag(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyncerError("usage", `--input is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Whether a command may create the database when there is none: only `serve`, `migrate` and commands that run
 * plugins (sync runs, jobs, `plugins call`) do. Any other command finding none names the path it looked at:
 * a fresh empty database there would hide that it reads another config than the daemon.
 */
export interface DatabaseUse {
  create?: boolean;
}

/** The migrated database and a plugin runtime, for a command that calls plugins; both closed when `use` is done. */
export function withRuntime<T>(setup: Setup, use: (database: Storage, runtime: PluginRuntime, log: Logger) => Promise<T>, options: DatabaseUse = {}): Promise<T> {
  return withDatabase(
    setup.config,
    async (database) => {
      const log = loggerFor(setup.config);
      // Loaded on demand: commands that call no plugin start without the runtime.
      const { PluginRuntime } = await import("../plugins/runtime.ts");
      const runtime = new PluginRuntime(setup.config, setup.registry, log, database);
      try {
        return await use(database, runtime, log);
      } finally {
        runtime.close();
      }
    },
    options,
  );
}

/**
 * The config's database as Storage, opened (created when there is none) but not migrated. The one place
 * the CLI chooses the storage implementation: SQLite, the file [server] data_dir or database names.
 */
export function openStorage(config: Config): Storage {
  return openSqliteStorage(config.paths.database);
}

/** The database, migrated, for a command that reads or writes it; closed when `use` is done. */
export async function withDatabase<T>(config: Config, use: (database: Storage) => T | Promise<T>, options: DatabaseUse = {}): Promise<T> {
  if (!options.create) requireDatabase(config);
  const database = openStorage(config);
  try {
    database.migrations.apply();
    return await use(database);
  } finally {
    database.close();
  }
}

/** The tags of the migrations this build has, oldest first: what a database that does not exist yet would get. */
export function knownMigrations(): string[] {
  return MIGRATIONS.map((migration) => migration.tag);
}

/** Writes a checked copy of the database file `database` to `destination` (see src/db/sqlite/backup.ts). */
export function backupDatabase(database: string, destination: string, options: { force?: boolean } = {}): BackupReport {
  return backupSqliteDatabase(database, destination, options);
}

/** Refuses a missing database, saying where it looked and how to create it. */
export function requireDatabase(config: Config): void {
  const path = config.paths.database;
  if (existsSync(path)) return;
  throw new SyncerError(
    "database",
    `no database at ${path} (from ${config.source.path}): run \`syncer migrate\` (or start \`syncer serve\`) to create it, or pass --config for the config the daemon uses`,
    { path },
  );
}
