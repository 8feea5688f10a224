import * as v from "valibot";
import { TOKEN_SCOPES } from "../../auth/tokens.ts";
import { EVENT_PATTERN, EVENT_PATTERN_RULE } from "../../core/events.ts";

/**
 * plugin.json: what a plugin is, what it needs and what it provides. The single source of the
 * manifest's types and of schemas/plugin.schema.json. Checks that need the module (exports exist,
 * imports are granted) run when the plugin is loaded (src/plugins/load.ts).
 */

/** The ABI this build speaks; a manifest declaring another is refused. */
export const API_VERSION = 1;

export const IDENT_PATTERN = /^[a-z][a-z0-9_]{1,31}$/;
const Ident = v.pipe(v.string(), v.regex(IDENT_PATTERN, "an ident of 2-32 lower-case letters, digits and '_', starting with a letter"));
const ExportName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a wasm export name"));
const CommandName = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "a command name of lower-case letters, digits and '_'"));
const Reason = v.pipe(v.string(), v.minLength(3, "a reason an operator can judge"), v.description("Why the plugin needs this; shown by `syncer plugins info`."));
const PresetValue = v.union([v.string(), v.number(), v.boolean()], "a string, number or boolean");

export const OPTION_TYPES = ["string", "int", "bool", "list", "choice"] as const;
export type OptionType = (typeof OPTION_TYPES)[number];
export type OptionValue = string | number | boolean | string[];

export const OptionSchema = v.strictObject({
  type: v.picklist(OPTION_TYPES),
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  default: v.optional(v.union([v.string(), v.number(), v.boolean(), v.array(v.string())], "a string, number, boolean or list of strings")),
  required: v.optional(v.boolean(), false),
  choices: v.optional(v.pipe(v.array(v.string()), v.minLength(1, "at least one choice"))),
  secret: v.optional(v.pipe(v.boolean(), v.description("Never shown in dumps, logs or API answers.")), false),
});

export const COMMAND_KINDS = ["import", "inventorize", "export", "action"] as const;

export const CommandSchema = v.strictObject({
  kind: v.picklist(COMMAND_KINDS),
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  export: v.optional(v.pipe(ExportName, v.description("The wasm export to call; defaults to the command's name."))),
  account: v.optional(v.pipe(v.picklist(["required", "optional", "none"]), v.description("Whether the command takes an account.")), "required"),
  schedulable: v.optional(v.pipe(v.boolean(), v.description("May a [jobs] step run it?")), true),
  timeout_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86400))),
  phases: v.optional(
    v.pipe(
      v.strictObject({
        begin: v.optional(v.pipe(ExportName, v.description("Reads the target's hosts once per run, before the pages (ABI v1's export phases)."))),
        finish: v.optional(v.pipe(ExportName, v.description("Deletes the target's owned hosts no page carried, and activates, after the pages."))),
      }),
      v.description("An export's optional phases around its pages: see docs/abi-v1.md."),
    ),
  ),
  file_option: v.optional(
    v.pipe(
      v.string(),
      v.description("An option naming a file (relative to the config file) that the host reads and hands over through file_length/file_read: plugins have no filesystem."),
    ),
  ),
});

export const HOOK_EVENTS = ["host.pre_update", "host.post_update", "host.pre_delete", "host.post_delete", "host.pre_lifecycle", "host.post_lifecycle"] as const;

export const HookSchema = v.strictObject({
  event: v.picklist(HOOK_EVENTS),
  export: ExportName,
  priority: v.optional(v.pipe(v.number(), v.integer(), v.description("Lower runs first.")), 100),
  description: v.optional(v.string()),
});

/** Event types (and prefix patterns) a plugin hears, and the export that receives them in batches, in order. */
export const SubscriptionsSchema = v.strictObject({
  events: v.pipe(
    v.array(v.pipe(v.string(), v.regex(EVENT_PATTERN, EVENT_PATTERN_RULE))),
    v.minLength(1, "at least one event type"),
    v.description('Event types or prefixes: "run.failed", "host.*", "plugin.netbox.*", "*" (docs/events.md).'),
  ),
  export: v.optional(v.pipe(ExportName, v.description("The wasm export receiving {subscriber, events} and answering null once it has taken them.")), "on_events"),
  batch_size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000), v.description("Most events in one call.")), 100),
});

export const EndpointSchema = v.strictObject({
  method: v.picklist(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  // A regex rather than a check, so the JSON Schema says it too: no ".." segment may climb out of the plugin's URL space.
  path: v.pipe(v.string(), v.regex(/^(?!.*\/\.\.(\/|$))\/[A-Za-z0-9_\-/.]*$/, 'a path such as "/status" without ".." segments, served under /api/v1/plugins/<ident>')),
  export: ExportName,
  scope: v.optional(
    v.pipe(
      v.picklist(TOKEN_SCOPES),
      v.description("The token scope a caller needs. Default: hosts:read for GET, hosts:write otherwise."),
    ),
  ),
  description: v.optional(v.string()),
});

export const InventoryFormatSchema = v.strictObject({
  format: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_-]*$/, "a format name")),
  export: ExportName,
  description: v.optional(v.string()),
});

/** A template filter or condition test's name: `<ident>_<name>` in rules. */
const FunctionName = v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "a name of lower-case letters, digits and '_'"));

export const FilterArgumentSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "an argument name of lower-case letters, digits and '_'")),
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  optional: v.optional(v.pipe(v.boolean(), v.description("May be left out; optional arguments come after the required ones.")), false),
});

/** A template filter: `{{ labels.ip | <ident>_<name>: arg }}` in rules, run in the plugin's sandbox a page of hosts at a time. */
export const FilterSchema = v.strictObject({
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  export: v.optional(v.pipe(ExportName, v.description("The wasm export to call; defaults to the filter's name."))),
  arguments: v.optional(v.pipe(v.array(FilterArgumentSchema), v.description("The filter's arguments after the value, in order: a template giving more or fewer is a config error.")), []),
});

/** A condition test: `match = "<ident>_<name>"` in a rule's condition, the condition's value as its argument. */
export const TestSchema = v.strictObject({
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  export: v.optional(v.pipe(ExportName, v.description("The wasm export to call; defaults to the test's name."))),
  value: v.optional(
    v.pipe(v.picklist(["required", "optional", "none"]), v.description("Whether a condition using the test gives a value (passed as its one argument).")),
    "required",
  ),
});

export const VIEW_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * A page the plugin adds to the web UI, at /plugins/<ident>/views/<name>. Its export answers data (a view:
 * see ViewAnswerSchema in abi.ts), which the daemon renders; a plugin never sends HTML or script.
 */
export const ViewSchema = v.strictObject({
  name: v.pipe(v.string(), v.regex(VIEW_NAME_PATTERN, "a view name of 1-32 lower-case letters, digits, '_' and '-', starting with a letter")),
  title: v.pipe(v.string(), v.minLength(1, "a title"), v.maxLength(80, "a title of at most 80 characters")),
  export: ExportName,
  scope: v.optional(v.pipe(v.picklist(TOKEN_SCOPES), v.description("The scope a user's role needs to open the view. Default: hosts:read.")), "hosts:read"),
  description: v.optional(v.string()),
});

export const PermissionsSchema = v.strictObject({
  http: v.optional(
    v.strictObject({
      hosts: v.optional(
        v.pipe(v.array(v.string()), v.description('Hosts beyond the account\'s address host, e.g. "api.example.com" or "*.example.com".')),
        [],
      ),
      reason: Reason,
    }),
  ),
  hosts: v.optional(v.strictObject({ access: v.picklist(["read", "write"]), reason: Reason })),
  kv: v.optional(v.strictObject({ reason: Reason })),
  events: v.optional(v.strictObject({ reason: Reason })),
});

export const ManifestSchema = v.strictObject({
  $schema: v.optional(v.string()),
  api_version: v.pipe(v.number(), v.integer(), v.description("The plugin ABI version; this build speaks 1.")),
  ident: Ident,
  name: v.pipe(v.string(), v.minLength(1, "a name")),
  version: v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a semantic version such as "1.0.0"')),
  author: v.string(),
  description: v.pipe(v.string(), v.minLength(1, "a description")),
  enabled: v.optional(v.boolean(), true),
  wasm: v.optional(v.pipe(v.string(), v.description("The module, relative to the plugin folder.")), "build/plugin.wasm"),
  account_presets: v.optional(
    v.pipe(
      v.strictObject({
        address: v.optional(v.string()),
        username: v.optional(v.string()),
        password: v.optional(v.pipe(v.literal(""), v.description('"" when the plugin uses the account\'s password (a manifest holds no secret): `accounts new` writes a reference for it.'))),
      }),
      v.description("The account fields the plugin uses, with the values `syncer accounts new` seeds them with; fields left out are not written."),
    ),
    {},
  ),
  account_custom_field_presets: v.optional(v.record(v.string(), PresetValue), {}),
  options: v.optional(v.record(v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]*$/, "an option name of lower-case letters, digits and '_'")), OptionSchema), {}),
  permissions: v.optional(PermissionsSchema, {}),
  limits: v.optional(
    v.strictObject({
      timeout_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86400))),
      memory_mb: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096))),
    }),
    {},
  ),
  commands: v.optional(v.record(CommandName, CommandSchema), {}),
  hooks: v.optional(v.array(HookSchema), []),
  endpoints: v.optional(v.array(EndpointSchema), []),
  subscriptions: v.optional(
    v.pipe(SubscriptionsSchema, v.description("The events the plugin hears: delivered after they are committed, at least once, in order, by the daemon in the background.")),
  ),
  inventory: v.optional(v.array(InventoryFormatSchema), []),
  outcomes: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(/^(\*|[a-z][a-z0-9_]*(\.\*)?)$/, 'an outcome: "folder", a table "attributes.*", or "*" (any other key is an attribute)'))),
      v.description(
        "What rules may set for this plugin's targets, besides ignore_host (which every target understands): a typo in a rule's set is then a config error. Not declared: every key a rule sets is an attribute.",
      ),
    ),
  ),
  filters: v.optional(
    v.pipe(v.record(FunctionName, FilterSchema), v.description("Template filters rules may use, as <ident>_<name> (ABI v1's optional filter and test exports).")),
    {},
  ),
  tests: v.optional(
    v.pipe(v.record(FunctionName, TestSchema), v.description("Condition tests rules may use as a match type, as <ident>_<name> (ABI v1's optional filter and test exports).")),
    {},
  ),
  views: v.optional(v.pipe(v.array(ViewSchema), v.description("Pages in the web UI whose content the plugin answers as data.")), []),
});

export type Manifest = v.InferOutput<typeof ManifestSchema>;
export type OptionSpec = v.InferOutput<typeof OptionSchema>;
export type CommandSpec = v.InferOutput<typeof CommandSchema>;
export type FilterSpec = v.InferOutput<typeof FilterSchema>;
export type TestSpec = v.InferOutput<typeof TestSchema>;
export type ViewSpec = v.InferOutput<typeof ViewSchema>;
