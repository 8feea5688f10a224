import * as v from "valibot";
import { EVENT_PATTERN, EVENT_PATTERN_RULE } from "../core/events.ts";
import { LOG_LEVELS } from "../core/logger.ts";
import { IncludeSchema, RuleSchema, TargetSchema } from "./rules.ts";

/**
 * The schema of sync.config.toml: the single source of its TypeScript types and of
 * schemas/sync.config.schema.json. Only structure lives here; checks that need the outside world
 * (secret references, cron expressions, time zones, cross references) run in validate.ts.
 */

/** Names of accounts, jobs and API tokens: they appear in CLI arguments, URLs and log lines. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const NAME_RULE = "a name of lower-case letters, digits, '_' and '-', starting with a letter or digit";
export const Name = v.pipe(v.string(), v.regex(NAME_PATTERN, NAME_RULE));

const LISTEN_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

export const ServerSchema = v.strictObject({
  listen: v.optional(
    v.pipe(
      v.string(),
      v.regex(LISTEN_PATTERN, 'an address "host:port", e.g. "127.0.0.1:8787"'),
      v.description("Address the HTTP API listens on. Keep it on loopback unless a proxy fronts it."),
    ),
    "127.0.0.1:8787",
  ),
  data_dir: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, "a directory path"),
      v.description(
        "Directory for the database and state. Relative to this file. Default: /var/lib/syncer for a config under /etc (the systemd unit's state directory), else ./data beside this file.",
      ),
    ),
  ),
  database: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, "a file path"),
      v.description("SQLite database file. Relative to this file. Default: <data_dir>/syncer.db."),
    ),
  ),
  max_body_mb: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024), v.description("Largest request body the API accepts; larger ones get 413.")),
    16,
  ),
});

export const LogSchema = v.strictObject({
  level: v.optional(v.pipe(v.picklist(LOG_LEVELS), v.description("Least severe level that is written.")), "info"),
  format: v.optional(
    v.pipe(v.picklist(["text", "json"]), v.description("text: one readable line per event; json: JSON lines.")),
    "text",
  ),
});

const OptionValue = v.union([v.string(), v.number(), v.boolean(), v.array(v.string())], "a string, number, boolean or list of strings");

export const PluginsSchema = v.objectWithRest(
  {
    directories: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.minLength(1, "a directory path"))),
        v.description("Extra directories searched for plugins, besides the built-in ones. Relative to this file."),
      ),
      [],
    ),
  },
  v.pipe(
    v.record(v.string(), OptionValue),
    v.description("[plugins.<ident>]: option values for every account of that plugin (an account's custom_fields win)."),
  ),
);


export const AccountSchema = v.strictObject({
  plugin: v.optional(v.pipe(v.string(), v.minLength(1, "a plugin ident"), v.description("Ident of the plugin this account uses; inherited from `parent` when not set."))),
  parent: v.optional(v.pipe(Name, v.description("An account whose plugin, address, username, password, custom_fields and timeout this one inherits (its own values win)."))),
  address: v.optional(v.pipe(v.string(), v.description("Where the system is: a URL, a host or a file path."))),
  username: v.optional(v.string()),
  password: v.optional(
    v.pipe(v.string(), v.description("A secret: write a reference such as ${env:NAME}, ${file:/path} or ${credential:NAME}.")),
  ),
  custom_fields: v.optional(
    v.pipe(
      v.record(v.string(), OptionValue),
      v.description("Plugin-specific settings, seeded from the plugin's account_custom_field_presets."),
    ),
    {},
  ),
  enabled: v.optional(v.boolean(), true),
  timeout_seconds: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86400), v.description("Time limit of one plugin call for this account; overrides the plugin's.")),
  ),
  is_master: v.optional(
    v.pipe(v.boolean(), v.description("Hosts this account owns are never taken over by other accounts' imports (they are skipped and counted).")),
    false,
  ),
  delete_missing: v.optional(
    v.pipe(v.boolean(), v.description("After a complete import, soft-delete the hosts this account owns that the import did not return.")),
    false,
  ),
  delete_limit: v.optional(
    v.pipe(
      v.union([v.pipe(v.number(), v.integer(), v.minValue(0)), v.pipe(v.string(), v.regex(/^\d{1,3}(\.\d+)?%$/, 'a share such as "10%"'))], 'a count such as 50 or a share such as "10%"'),
      v.description("Safety cap of delete_missing: a run that would delete more of this account's hosts fails unless run with --force."),
    ),
    "10%",
  ),
});

export const InventorySchema = v.strictObject({
  lowercase_hostnames: v.optional(v.pipe(v.boolean(), v.description("Lower-case hostnames on import (they are always stripped of surrounding spaces).")), false),
  page_size: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100000), v.description("Hosts per page between syncer and plugins (imports, exports, hooks, inventories).")),
    5000,
  ),
  change_log_limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Changes kept per host in its change log; older ones are dropped.")), 50),
});

export const SandboxSchema = v.strictObject({
  processes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64), v.description("Sandbox processes per plugin: calls to one plugin that run at once.")), 2),
  queue_limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.description("Calls that may wait for a sandbox; more are refused as overloaded.")), 1000),
  timeout_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86400), v.description("Default time limit of one plugin call.")), 30),
  memory_mb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096), v.description("Default memory limit of one plugin instance.")), 256),
  max_output_mb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024), v.description("Largest response one call may return; larger results travel in pages.")), 32),
});

export const JobSchema = v.strictObject({
  schedule: v.pipe(
    v.string(),
    v.minLength(1, "a cron expression"),
    v.description('Cron expression with 5 or 6 fields, e.g. "*/15 * * * *".'),
  ),
  timezone: v.optional(v.pipe(v.string(), v.description('IANA time zone of the schedule, e.g. "Europe/Berlin". Default: the system\'s.'))),
  steps: v.pipe(
    v.array(v.pipe(v.string(), v.regex(/^\S+\s+\S+(\s+\S+)?$/, 'a step "<plugin> <command> [account]"'))),
    v.minLength(1, "at least one step"),
    v.description('Steps run in order, each "<plugin> <command> [account]".'),
  ),
  continue_on_error: v.optional(v.pipe(v.boolean(), v.description("Run the next step after a failed one (the job still ends failed).")), false),
  enabled: v.optional(v.pipe(v.boolean(), v.description("false: the job is listed but neither scheduled nor run by hand, API or webhook.")), true),
  webhook_secret: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, "a secret"),
      v.description("Enables the job's webhook trigger: a caller presenting this secret may start the job. A secret: write a reference such as ${env:NAME}."),
    ),
  ),
});

export const SchedulerSchema = v.strictObject({
  shutdown_grace_seconds: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(86400),
      v.description("How long SIGTERM waits for running jobs to finish; jobs still running then are marked interrupted."),
    ),
    30,
  ),
});

/** Days a kind of record is kept; 0 keeps it for ever. */
const keepDays = (description: string, fallback: number) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(36500), v.description(`${description}; 0 keeps them for ever.`)), fallback);

/** How long records are kept: applied by the daemon daily and by `syncer maintenance`. */
export const RetentionSchema = v.strictObject({
  runs_days: keepDays("Days finished runs stay in the run log", 90),
  job_runs_days: keepDays("Days finished job runs stay in each job's history", 90),
  events_days: keepDays("Days plugin events are kept", 90),
  host_changes_days: keepDays("Days entries of a host's change log are kept (besides [inventory] change_log_limit per host)", 365),
  deleted_hosts_days: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(36500),
      v.description("Days soft-deleted hosts are kept before they are removed for good, with their change logs. Not set or 0: kept for ever (`syncer hosts purge` removes them by hand)."),
    ),
  ),
});

const EventPatterns = v.pipe(
  v.array(v.pipe(v.string(), v.regex(EVENT_PATTERN, EVENT_PATTERN_RULE))),
  v.minLength(1, "at least one event type"),
  v.description('Event types or prefixes: "run.failed", "host.*", "plugin.netbox.*", "*".'),
);

/** How the daemon delivers events to subscriber plugins and webhooks. */
export const EventsSchema = v.strictObject({
  max_attempts: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000), v.description("Failed deliveries in a row after which a subscriber is dead-lettered (stopped until resumed).")),
    10,
  ),
  retry_seconds: v.optional(
    v.pipe(v.number(), v.minValue(0.01), v.maxValue(3600), v.description("Wait before the first retry; each further retry waits twice as long, up to retry_max_seconds.")),
    1,
  ),
  retry_max_seconds: v.optional(v.pipe(v.number(), v.minValue(0.01), v.maxValue(86400), v.description("Longest wait between retries.")), 300),
});

/** An outbound webhook: events POSTed as signed JSON batches. */
export const WebhookSchema = v.strictObject({
  name: v.pipe(Name, v.description("Names its cursor (webhook:<name>) in `syncer events subscribers` and /metrics.")),
  url: v.pipe(
    v.string(),
    v.url("an http:// or https:// URL"),
    v.regex(/^https?:\/\//, "an http:// or https:// URL"),
    v.description("Where batches are POSTed; redirects are followed only on this host (as plugins' HTTP allow-lists are checked on every hop)."),
  ),
  events: v.optional(EventPatterns, ["*"]),
  secret: v.pipe(
    v.string(),
    v.minLength(1, "a secret"),
    v.description("Signs each body: X-Syncer-Signature-256: sha256=<HMAC-SHA256 hex>. A secret: write a reference such as ${env:NAME}."),
  ),
  batch_size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10000), v.description("Most events in one POST.")), 500),
  timeout_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600), v.description("Time limit of one POST.")), 10),
  enabled: v.optional(v.boolean(), true),
});

/** The web UI's sessions; read at every request, so a reload applies to sessions already open. */
export const UiSchema = v.strictObject({
  session_idle_minutes: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10080), v.description("A session unused this long ends; the user logs in again.")),
    120,
  ),
  session_max_hours: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8760), v.description("A session ends this long after its login, however busy.")),
    12,
  ),
});

export const ConfigSchema = v.strictObject({
  server: v.optional(ServerSchema, {}),
  log: v.optional(LogSchema, {}),
  plugins: v.optional(PluginsSchema, {}),
  sandbox: v.optional(SandboxSchema, {}),
  inventory: v.optional(InventorySchema, {}),
  scheduler: v.optional(SchedulerSchema, {}),
  retention: v.optional(RetentionSchema, {}),
  ui: v.optional(UiSchema, {}),
  events: v.optional(EventsSchema, {}),
  webhooks: v.optional(
    v.pipe(
      v.array(WebhookSchema),
      v.check((hooks) => new Set(hooks.map((hook) => hook.name)).size === hooks.length, "each webhook needs a name of its own"),
      v.description("[[webhooks]]: events POSTed to a URL as signed JSON batches (docs/events.md)."),
    ),
    [],
  ),
  accounts: v.optional(v.record(Name, AccountSchema), {}),
  jobs: v.optional(v.record(Name, JobSchema), {}),
  include: v.optional(IncludeSchema, {}),
  rules: v.optional(v.pipe(v.array(RuleSchema), v.description("Rules, evaluated per target in file order (this file's, then the included files'): what each target gets for each host.")), []),
  targets: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.minLength(1, "a plugin ident or account name")), TargetSchema),
      v.description("[targets.<plugin or account>]: which attributes leave for that target, and how they are rewritten (an account's table wins over its plugin's)."),
    ),
    {},
  ),
});

/** The config as written in the file, after defaults. */
export type ConfigFile = v.InferOutput<typeof ConfigSchema>;
/** An account as written in the file. */
export type AccountFile = v.InferOutput<typeof AccountSchema>;
/** An account after `parent` is applied (src/config/accounts.ts): it always has a plugin. */
export type AccountConfig = Omit<AccountFile, "plugin"> & { plugin: string };
export type JobConfig = v.InferOutput<typeof JobSchema>;
export type RetentionConfig = v.InferOutput<typeof RetentionSchema>;
export type UiConfig = v.InferOutput<typeof UiSchema>;
export type EventsConfig = v.InferOutput<typeof EventsSchema>;
export type WebhookConfig = v.InferOutput<typeof WebhookSchema>;
