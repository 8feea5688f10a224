import { readMigrationFolder } from "./migration-files.ts" with { type: "macro" };
import type { Migration } from "./migration-files.ts";

/** Every migration, inlined at build time: the compiled binary needs no migration files beside it. */
export const MIGRATIONS: Migration[] = readMigrationFolder();
