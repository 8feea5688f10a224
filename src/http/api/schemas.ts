import * as v from "valibot";
import { Name } from "../../config/schema.ts";
import { LIFECYCLE_STATES } from "../../core/hosts.ts";
import { Hostname, InventoryFields, Labels } from "../../plugins/abi.ts";

/**
 * Request and answer shapes of API v1. Requests are checked against them; answers are documented by
 * them in the OpenAPI document (the handlers build answers with the same JSON functions as the CLI).
 */

export const ErrorSchema = v.object({
  error: v.object({
    kind: v.pipe(v.string(), v.description("What went wrong, e.g. validation, unauthorized, not_found, account_conflict, timeout.")),
    message: v.string(),
    details: v.optional(v.record(v.string(), v.unknown())),
  }),
});

const Time = v.pipe(v.string(), v.description("ISO 8601"));

export const HostSchema = v.object({
  hostname: v.string(),
  account: v.nullable(v.string()),
  labels: v.record(v.string(), v.string()),
  inventory: v.pipe(v.record(v.string(), v.unknown()), v.description("Flat map, keys namespaced <source>__<field>.")),
  lifecycle: v.picklist(LIFECYCLE_STATES),
  first_seen: Time,
  last_seen: v.nullable(Time),
  last_changed: Time,
  deleted_at: v.nullable(Time),
  delete_reason: v.nullable(v.string()),
});

/** A whole number in a query string, within bounds. */
function countParam(description: string, min: number, max: number) {
  return v.pipe(v.string(), v.regex(/^\d{1,7}$/, "a whole number"), v.transform(Number), v.minValue(min), v.maxValue(max), v.description(description));
}

export const HostnameParams = v.object({ hostname: Hostname });

export const HostListQuery = v.object({
  label: v.optional(
    v.pipe(
      v.union([v.string(), v.array(v.string())]),
      v.transform((value) => (Array.isArray(value) ? value : [value])),
      v.check((pairs) => pairs.every((pair) => pair.indexOf("=") > 0), "write each label filter as key=value"),
      v.description("key=value; repeat for several (all must match)."),
    ),
  ),
  search: v.optional(v.pipe(v.string(), v.maxLength(253), v.description("A substring of the hostname."))),
  account: v.optional(v.pipe(v.string(), v.description("Hosts this account owns."))),
  deleted: v.optional(v.pipe(v.picklist(["true", "false"]), v.description("true: soft-deleted hosts instead of live ones."))),
  after: v.optional(v.pipe(v.string(), v.description("Cursor: the `next` of the previous page."))),
  limit: v.optional(countParam("Hosts per page (1–1000, default 100).", 1, 1000)),
});

export const HostListSchema = v.object({ hosts: v.array(HostSchema), next: v.pipe(v.nullable(v.string()), v.description("Cursor of the next page, or null.")) });

export const HostChangeLogSchema = v.object({
  ...HostSchema.entries,
  changes: v.array(v.object({ run_id: v.nullable(v.number()), at: Time, changes: v.record(v.string(), v.object({ old: v.unknown(), new: v.unknown() })) })),
});

export const HostUpsertBody = v.strictObject({
  account: v.optional(
    v.pipe(
      Name,
      v.description(
        "The account the write is made for: it owns the host afterwards, and names the inventory namespace. Without it, or as `manual`, the write is made by hand: the built-in owner `manual` owns the host (no import deletes it; only a master account takes it over).",
      ),
    ),
  ),
  labels: v.optional(v.pipe(Labels, v.description("Replaces the host's labels as a whole."))),
  inventory: v.optional(v.pipe(InventoryFields, v.description("Replaces the account's inventory namespace (keys without the namespace)."))),
});

/** Most hosts in one bulk request: larger sets go in several requests (each is one transaction). */
export const BULK_LIMIT = 10_000;

export const HostBulkBody = v.strictObject({
  account: HostUpsertBody.entries.account,
  hosts: v.pipe(
    v.array(v.strictObject({ hostname: Hostname, labels: HostUpsertBody.entries.labels, inventory: HostUpsertBody.entries.inventory })),
    v.minLength(1, "at least one host"),
    v.maxLength(BULK_LIMIT, `at most ${BULK_LIMIT} hosts per request`),
  ),
});

const Outcome = v.picklist(["created", "updated", "unchanged"]);
export const UpsertAnswer = v.object({ outcome: Outcome, host: HostSchema });
export const BulkAnswer = v.object({
  created: v.number(),
  updated: v.number(),
  unchanged: v.number(),
  hosts: v.array(v.object({ hostname: v.string(), outcome: Outcome })),
});

export const DeleteQuery = v.object({ reason: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(500), v.description("Why; kept with the host."))) });

export const NamespaceParams = v.object({ hostname: Hostname, namespace: v.pipe(Name, v.description("Usually an account name.")) });
export const NamespaceBody = v.strictObject({ fields: v.pipe(InventoryFields, v.description("The namespace's new fields (keys without the namespace); {} empties it.")) });

export const NameParams = v.object({ name: Name });
export const IdentParams = v.object({ ident: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]{0,62}$/, "a plugin ident")) });
export const RunIdParams = v.object({ id: v.pipe(v.string(), v.regex(/^\d{1,15}$/, "a run id"), v.transform(Number)) });

export const RunListQuery = v.object({
  plugin: v.optional(v.string()),
  account: v.optional(v.string()),
  status: v.optional(v.picklist(["running", "ok", "failed", "interrupted"])),
  before: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, "a run id"), v.transform(Number), v.description("Cursor: runs older than this id."))),
  limit: v.optional(countParam("Runs per page (1–500, default 50).", 1, 500)),
});

export const RunSchema = v.object({
  id: v.number(),
  plugin: v.string(),
  command: v.string(),
  account: v.nullable(v.string()),
  trigger: v.string(),
  status: v.picklist(["running", "ok", "failed", "interrupted"]),
  started_at: Time,
  finished_at: v.nullable(Time),
  duration_ms: v.nullable(v.number()),
  created: v.number(),
  updated: v.number(),
  unchanged: v.number(),
  skipped: v.number(),
  deleted: v.number(),
  failed: v.number(),
  error: v.nullable(v.object({ kind: v.string(), message: v.nullable(v.string()) })),
  details: v.array(v.unknown()),
});

export const InventoryQuery = v.object({
  host: v.optional(v.pipe(Hostname, v.description("One host's variables (like --host)."))),
  format: v.optional(v.pipe(v.string(), v.description("When the plugin renders more than one."))),
  account: v.optional(v.pipe(v.string(), v.description("An account of the plugin, for its options."))),
});

/** Loose answers: documented by description, shaped by the JSON functions the CLI shares. */
export const AnyObject = v.record(v.string(), v.unknown());

export const HostRulesQuery = v.object({
  target: v.optional(v.pipe(v.string(), v.minLength(1), v.description('A plugin ident or an account name ("*": what every target gets). Default: every target the rules and [targets] name.'))),
});

const ConditionTraceSchema = v.object({
  condition: v.pipe(v.string(), v.description('As written: label site equal "berlin".')),
  seen: v.pipe(v.unknown(), v.description("The host's value the condition looked at; null when the host does not have it.")),
  matched: v.boolean(),
});

const RuleTraceSchema = v.object({
  name: v.string(),
  at: v.pipe(v.string(), v.description("Where the rule is written: file:line:column.")),
  target: v.string(),
  match: v.picklist(["all", "any", "anyway"]),
  last_match: v.boolean(),
  evaluated: v.pipe(v.boolean(), v.description("False after a matching last_match rule or a failed template.")),
  matched: v.boolean(),
  conditions: v.array(ConditionTraceSchema),
  set: v.optional(v.pipe(v.record(v.string(), v.unknown()), v.description("What the matching rule set, rendered."))),
  error: v.optional(v.string()),
});

export const HostRulesSchema = v.object({
  hostname: v.string(),
  targets: v.array(
    v.object({
      hostname: v.string(),
      target: v.object({ name: v.string(), plugin: v.string() }),
      rules: v.array(RuleTraceSchema),
      result: v.optional(
        v.object({ ignored: v.boolean(), labels: v.record(v.string(), v.string()), inventory: v.record(v.string(), v.unknown()), outcomes: v.record(v.string(), v.unknown()) }),
      ),
      error: v.optional(v.pipe(v.string(), v.description("A template that failed for this host: the rule and why."))),
    }),
  ),
});

export const EventListQuery = v.object({
  type: v.optional(v.pipe(v.string(), v.description('Types or patterns, comma-separated: "run.failed", "run.*", "plugin.netbox.*", "*".'))),
  since: v.optional(v.pipe(v.string(), v.description('A duration back ("15m", "2h", "7d") or an ISO 8601 time.'))),
  after: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, "an event id"), v.transform(Number), v.description("Cursor: events after this id (the `next` of the previous page)."))),
  limit: v.optional(countParam("Events per page (1–1000, default 100).", 1, 1000)),
});

export const EventSchema = v.object({
  id: v.pipe(v.number(), v.description("Increasing: the cursor.")),
  type: v.string(),
  at: Time,
  plugin: v.pipe(v.nullable(v.string()), v.description("The plugin that emitted it; null for syncer's own events.")),
  account: v.nullable(v.string()),
  run_id: v.nullable(v.number()),
  data: v.unknown(),
});

export const SubscriberSchema = v.object({
  name: v.pipe(v.string(), v.description("plugin:<ident> or webhook:<name>.")),
  state: v.picklist(["active", "dead_letter"]),
  cursor: v.pipe(v.number(), v.description("The last event delivered or passed over.")),
  behind: v.pipe(v.number(), v.description("Events recorded after the cursor (subscribed or not).")),
  delivered: v.number(),
  last_delivered_at: v.nullable(Time),
  failures: v.pipe(v.number(), v.description("Failed attempts since the last success.")),
  last_error: v.nullable(v.object({ kind: v.string(), message: v.string(), at: v.nullable(Time) })),
});

export const SubscriberParams = v.object({ name: v.pipe(v.string(), v.regex(/^(plugin|webhook):[a-z0-9_-]{1,63}$/, "a subscriber such as plugin:notify or webhook:ops")) });
