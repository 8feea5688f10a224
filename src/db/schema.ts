import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { LIFECYCLE_STATES } from "../core/hosts.ts";
import { JOB_RUN_STATUSES } from "./job-runs.ts";
import { RUN_STATUSES } from "./runs.ts";
import { USER_ROLES } from "./users.ts";

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
    lifecycle: text("lifecycle", { enum: LIFECYCLE_STATES })
      .notNull()
      .default("active"),
    firstSeen: integer("first_seen", { mode: "timestamp_ms" }).notNull(),
    /** Set only when labels or inventory really changed. */
    lastChanged: integer("last_changed", { mode: "timestamp_ms" }).notNull(),
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
    deleteReason: text("delete_reason"),
    /** The run that created the host (creation is not repeated in host_changes, to keep first imports lean). */
    createdRun: integer("created_run"),
  },
  (table) => [
    // By owner in hostname order: an account's hosts paged without a sort (the UI, the API's ?account=).
    index("hosts_account_hostname_idx").on(table.account, table.hostname),
    index("hosts_deleted_at_idx").on(table.deletedAt),
    // Hosts not active are few: paged by lifecycle through a small index that imports of active hosts never touch.
    index("hosts_lifecycle_hostname_idx").on(table.lifecycle, table.hostname).where(sql`lifecycle <> 'active'`),
  ],
);

/**
 * Live (not deleted) hosts per owner and lifecycle, kept by every write of hosts in the same transaction
 * (src/db/sqlite/host-counts.ts): the overview and /metrics read a handful of rows instead of counting a
 * million. `account` is '' for hosts without an owner (no account may have that name).
 */
export const hostCounts = sqliteTable(
  "host_counts",
  {
    account: text("account").notNull(),
    lifecycle: text("lifecycle", { enum: LIFECYCLE_STATES }).notNull(),
    hosts: integer("hosts").notNull(),
  },
  (table) => [primaryKey({ columns: [table.account, table.lifecycle] })],
);

/**
 * When each host was last seen by an import. Apart from hosts because every import sets it for every host
 * it returns: rewriting these narrow rows costs a quarter of rewriting whole host rows (bench/import.ts).
 */
export const hostSeen = sqliteTable("host_seen", {
  hostId: integer("host_id")
    .primaryKey()
    .references(() => hosts.id, { onDelete: "cascade" }),
  lastSeen: integer("last_seen", { mode: "timestamp_ms" }).notNull(),
});

/**
 * The index behind lookups by label: for each label (key and value), the ids of the hosts carrying it,
 * as a JSON array (a posting list). One row per distinct label rather than per host and label keeps a
 * 100k-host import to a few hundred index writes; runs rewrite only the lists their changes touch.
 * Soft-deleted hosts stay listed; queries filter them. The migration creates it WITHOUT ROWID.
 */
export const labelIndex = sqliteTable(
  "label_index",
  {
    key: text("key").notNull(),
    value: text("value").notNull(),
    hostIds: text("host_ids", { mode: "json" }).$type<number[]>().notNull(),
  },
  (table) => [primaryKey({ columns: [table.key, table.value] })],
);

/** The change log of each host: what a run changed. Bounded per host (see src/db/sqlite/hosts.ts). */
export const hostChanges = sqliteTable(
  "host_changes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    hostId: integer("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    runId: integer("run_id"),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    /** {field: {old, new}} for labels, inventory, account, deleted, restored. */
    changes: text("changes", { mode: "json" }).$type<Record<string, { old: unknown; new: unknown }>>().notNull(),
  },
  // By time too, for retention ([retention] host_changes_days).
  // By run too, for a run's page: the hosts it changed.
  (table) => [index("host_changes_host_idx").on(table.hostId, table.id), index("host_changes_at_idx").on(table.at), index("host_changes_run_idx").on(table.runId)],
);

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
    status: text("status", { enum: RUN_STATUSES }).notNull().default("running"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    durationMs: integer("duration_ms"),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    deleted: integer("deleted").notNull().default(0),
    /** Export results that failed, hosts of export pages whose call failed. */
    failed: integer("failed").notNull().default(0),
    details: text("details", { mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    errorKind: text("error_kind"),
    errorMessage: text("error_message"),
    /** The process that runs it (src/runs/owner.ts): only a run whose owner is gone is closed as interrupted. Null in rows from before 0006. */
    ownerPid: integer("owner_pid"),
    ownerStarted: text("owner_started"),
  },
  (table) => [
    index("runs_started_at_idx").on(table.startedAt),
    index("runs_plugin_command_idx").on(table.plugin, table.command),
    index("runs_status_idx").on(table.status),
  ],
);

/**
 * Plugins' key-value cache (host functions kv_*), namespaced by plugin and account ("" for a call without
 * one), so two accounts of one plugin never read each other's entries; expired rows read as missing.
 */
export const pluginKv = sqliteTable(
  "plugin_kv",
  {
    plugin: text("plugin").notNull(),
    account: text("account").notNull().default(""),
    key: text("key").notNull(),
    value: text("value").notNull(),
    /** Unix ms; null: never expires. */
    expiresAt: integer("expires_at"),
  },
  (table) => [primaryKey({ columns: [table.plugin, table.account, table.key] }), index("plugin_kv_expires_at_idx").on(table.expiresAt)],
);

/**
 * The event log: what the daemon and the plugins record as it happens (see src/core/events.ts for the
 * types), each written in the transaction of the change it describes. Read in id order: the id is the
 * cursor of readers and subscribers.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The plugin that emitted it (plugin.<ident>.<name>); null for the daemon's own events. */
    plugin: text("plugin"),
    type: text("type").notNull(),
    data: text("data", { mode: "json" }).notNull(),
    account: text("account"),
    runId: integer("run_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("events_created_at_idx").on(table.createdAt), index("events_type_idx").on(table.type)],
);

/**
 * Who hears the events (a subscriber plugin or a webhook, by name) and how far each got: the cursor is
 * the id of the last event delivered (or skipped as not subscribed), so delivery resumes there after a
 * restart (at least once). A subscriber failing `max_attempts` times in a row is dead-lettered: it stops
 * until resumed, its cursor where the failing batch begins.
 */
export const eventSubscribers = sqliteTable("event_subscribers", {
  name: text("name").primaryKey(),
  cursor: integer("cursor").notNull(),
  state: text("state", { enum: ["active", "dead_letter"] }).notNull().default("active"),
  /** Failed attempts since the last success. */
  failures: integer("failures").notNull().default(0),
  lastErrorKind: text("last_error_kind"),
  lastErrorMessage: text("last_error_message"),
  lastErrorAt: integer("last_error_at", { mode: "timestamp_ms" }),
  /** Events delivered so far. */
  delivered: integer("delivered").notNull().default(0),
  lastDeliveredAt: integer("last_delivered_at", { mode: "timestamp_ms" }),
});

/**
 * API bearer tokens. Only a SHA-256 of the token is kept: the token itself is shown once, at creation.
 * `prefix` is the token's recognisable start (e.g. `syncer_3f9a`), for lists and logs.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (table) => [index("api_tokens_name_idx").on(table.name)],
);

/** One run of a [jobs.<name>]: its steps' runs in order. The history per job. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job: text("job").notNull(),
    /** schedule, cli, api, webhook, ui. */
    trigger: text("trigger").notNull(),
    status: text("status", { enum: JOB_RUN_STATUSES }).notNull().default("running"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    durationMs: integer("duration_ms"),
    /** [{step, run_id, status, error?}] in order. */
    steps: text("steps", { mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    errorKind: text("error_kind"),
    errorMessage: text("error_message"),
    /** As runs.owner_pid and owner_started. */
    ownerPid: integer("owner_pid"),
    ownerStarted: text("owner_started"),
  },
  (table) => [index("job_runs_job_idx").on(table.job, table.id)],
);

/** People who log in to the web UI. Only an argon2id hash of the password is kept (Bun.password). */
export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  role: text("role", { enum: USER_ROLES }).notNull(),
  passwordHash: text("password_hash").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  passwordChangedAt: integer("password_changed_at", { mode: "timestamp_ms" }).notNull(),
  disabledAt: integer("disabled_at", { mode: "timestamp_ms" }),
});

/**
 * Web UI sessions, held by the server: the browser's cookie carries a random token, of which only the
 * SHA-256 is kept (`id`). Logging out, disabling the user or changing the password deletes rows here.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The token every form of this session carries (synchroniser token against cross-site requests). */
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    /** The latest moment it may be used, however active: created_at plus the longest session. */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("sessions_user_idx").on(table.userId), index("sessions_expires_at_idx").on(table.expiresAt)],
);

/**
 * What an export wanted each host to be on its target, by the host's inputs (runs/export-hosts.ts): `input`
 * fingerprints the host as sent and everything else the plugin's answer depends on, `fingerprint` is the
 * plugin's fingerprint of the host as that input wants it on the target (ABI v1 export phases). A later
 * export whose input is the same, while the target still holds that fingerprint, finds the host unchanged
 * without sending it. `target` is `<plugin>/<command>/<account>`. The migration creates it WITHOUT ROWID.
 */
export const exportMemos = sqliteTable(
  "export_memos",
  {
    target: text("target").notNull(),
    hostname: text("hostname").notNull(),
    input: text("input").notNull(),
    fingerprint: text("fingerprint").notNull(),
  },
  (table) => [primaryKey({ columns: [table.target, table.hostname] })],
);
