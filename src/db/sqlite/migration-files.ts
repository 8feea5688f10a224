import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One migration as drizzle-kit wrote it: its statements, and the stamp and hash drizzle records. */
export interface Migration {
  tag: string;
  /** drizzle-kit's journal `when`: migrations apply in this order and the newest applied is remembered. */
  createdAt: number;
  /** sha256 of the SQL file, as drizzle's own migrator records it. */
  hash: string;
  statements: string[];
}

interface Journal {
  entries: { tag: string; when: number }[];
}

/**
 * Reads drizzle-kit's migration folder. Used as a Bun macro (see embedded-migrations.ts), so it runs
 * when the binary is built and the migrations become constants inside it.
 */
export function readMigrationFolder(folder: string = join(import.meta.dir, "..", "migrations")): Migration[] {
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as Journal;
  return journal.entries.map((entry) => {
    const text = readFileSync(join(folder, `${entry.tag}.sql`), "utf8");
    return {
      tag: entry.tag,
      createdAt: entry.when,
      hash: createHash("sha256").update(text).digest("hex"),
      statements: text
        .split("--> statement-breakpoint")
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0),
    };
  });
}
