import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The database schema. Change it here, then `npm run db:generate` writes a migration into
 * src/db/migrations/, which the binary embeds and applies at start.
 * Times are Unix milliseconds; maps are JSON text.
 */

/** One host of the inventory. */
export const hosts = sqliteTable(
  "hosts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    hostname: text("hostname").notNull().unique(),
    /** Account that owns the host (last importer, unless a master account holds it). */
    account: text("account"),
    labels: text("labels", { mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
    /** Flat map, keys namespaced `<source>__<field>`. */
    inventory: text("inventory", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    lifecycle: text("lifecycle", { enum: ["planned", "staged", "active", "decommissioned", "archived"] })
      .notNull()
      .default("active"),
    firstSeen: integer("first_seen", { mode: "timestamp_ms" }).notNull(),
    /** Set by every import that sees the host. */
    lastSeen: integer("last_seen", { mode: "timestamp_ms" }).notNull(),
    /** Set only when labels or inventory really changed. */
    lastChanged: integer("last_changed", { mode: "timestamp_ms" }).notNull(),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    deleteReason: text("delete_reason"),
  },
  (table) => [index("hosts_account_idx").on(table.account), index("hosts_deleted_at_idx").on(table.deletedAt)],
);

export const RUN_STATUSES = ["running", "ok", "failed", "interrupted"] as const;

/** One import, inventorize, export or action run: the run log. */
export const runs = sqliteTable(
  "runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    plugin: text("plugin").notNull(),
    command: text("command").notNull(),
    account: text("account"),
    /** What started it: cli, api, a job name, a webhook. */
    trigger: text("trigger").notNull().default("cli"),
    dryRun: integer("dry_run", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: RUN_STATUSES }).notNull().default("running"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    durationMs: integer("duration_ms"),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    details: text("details", { mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    errorKind: text("error_kind"),
    errorMessage: text("error_message"),
  },
  (table) => [
    index("runs_started_at_idx").on(table.startedAt),
    index("runs_plugin_command_idx").on(table.plugin, table.command),
    index("runs_status_idx").on(table.status),
  ],
);

/** Plugins' key-value cache (host function kv_get/kv_set), namespaced by plugin; expired rows read as missing. */
export const pluginKv = sqliteTable(
  "plugin_kv",
  {
    plugin: text("plugin").notNull(),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** Unix ms; null: never expires. */
    expiresAt: integer("expires_at"),
  },
  (table) => [primaryKey({ columns: [table.plugin, table.key] }), index("plugin_kv_expires_at_idx").on(table.expiresAt)],
);

/** Events emitted by plugins (host function event_emit) and, later, by the daemon. */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    plugin: text("plugin").notNull(),
    type: text("type").notNull(),
    data: text("data", { mode: "json" }).notNull(),
    account: text("account"),
    runId: integer("run_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("events_created_at_idx").on(table.createdAt), index("events_type_idx").on(table.type)],
);
