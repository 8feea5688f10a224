import type { Command } from "commander";
import { loadConfig, type Config } from "../config/load.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { loadSetup, type Setup } from "../setup.ts";
import { applyMigrations } from "../db/migrate.ts";
import { openDatabase, type OpenDatabase } from "../db/open.ts";

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

/** The database, migrated, for a command that reads or writes it; closed when `use` is done. */
export async function withDatabase<T>(config: Config, use: (database: OpenDatabase) => T | Promise<T>): Promise<T> {
  const database = openDatabase(config.paths.database);
  try {
    applyMigrations(database.sqlite);
    return await use(database);
  } finally {
    database.close();
  }
}
