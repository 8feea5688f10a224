import * as v from "valibot";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { SyncerError } from "../../core/errors.ts";
import { HOOK_EVENTS } from "../manifest/schema.ts";

/**
 * A plugin's recorded test case (test/fixtures/<name>.json in the plugin's folder), run by `syncer
 * plugins test`: what is called, with which account, input, cache and upstream answers, and what the
 * plugin must answer. The upstream is recorded: each exchange the plugin must make, in order, with the
 * answer it gets.
 */

const OptionValue = v.union([v.string(), v.number(), v.boolean(), v.array(v.string())]);

export const FixtureAccountSchema = v.strictObject({
  /** Default: the recorded upstream's address, where the plugin may send HTTP. */
  address: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
  custom_fields: v.optional(v.record(v.string(), OptionValue)),
});

/** One HTTP exchange with the upstream: the request the plugin must send, and the answer it gets. */
export const ExchangeSchema = v.strictObject({
  request: v.strictObject({
    method: v.picklist(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    /** Path and query, e.g. "/api/hosts?page=2". */
    path: v.pipe(v.string(), v.startsWith("/")),
    /** Headers the plugin must send (names in any case), e.g. the account's credentials; others are not checked. Never recorded. */
    headers: v.optional(v.record(v.string(), v.string())),
    /** The body the plugin must send: text, or JSON compared as JSON. Absent: not checked. */
    body: v.optional(v.unknown()),
  }),
  response: v.strictObject({
    status: v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599)),
    headers: v.optional(v.record(v.string(), v.string())),
    /** A string is sent as it is (text/plain unless headers say otherwise); anything else as JSON. */
    body: v.optional(v.unknown()),
  }),
});

const ExpectedError = v.strictObject({ kind: v.string(), /** A part of the message. */ message: v.optional(v.string()) });

export const FixtureSchema = v.strictObject({
  description: v.optional(v.string()),
  /**
   * What to call: a command of the manifest ("import_hosts"), a hook ("host.pre_update"), or an
   * endpoint ("GET /notes"). An import or inventorize command is paged as a run pages it.
   */
  call: v.pipe(v.string(), v.minLength(1)),
  /** The account the call runs for (named "test"); none for a call without one. */
  account: v.optional(FixtureAccountSchema),
  /**
   * The call's input: an export's {page, hosts}, a hook's {changes} (event and run are filled in), an
   * endpoint's request ({query, headers, body}; method and path come from `call`). Not for imports.
   */
  input: v.optional(v.unknown()),
  /** Cache entries (kv) of the call's namespace before the call. */
  kv: v.optional(v.record(v.string(), v.string())),
  /** The upstream's recorded exchanges, in the order the plugin makes them; every one must be made. */
  http: v.optional(v.array(ExchangeSchema), []),
  expect: v.strictObject({
    /** An import's pages, each {hosts, next}, as the run's page check passes them on. */
    pages: v.optional(v.array(v.unknown())),
    /** Any other call's answer, after the run's check of its kind. */
    answer: v.optional(v.unknown()),
    /** The error the call fails with instead. */
    error: v.optional(ExpectedError),
    /** Cache entries of the call's namespace after the call (all of them). */
    kv: v.optional(v.record(v.string(), v.string())),
  }),
});

export type Fixture = v.InferOutput<typeof FixtureSchema>;
export type Exchange = v.InferOutput<typeof ExchangeSchema>;

export const FIXTURES_FOLDER = join("test", "fixtures");

/** A hook event as a fixture's `call` names it. */
export const isHookEvent = (call: string): call is (typeof HOOK_EVENTS)[number] => (HOOK_EVENTS as readonly string[]).includes(call);

/** The fixtures of the plugin in `dir`, by name (file name without .json), in name order; a bad one is an error naming its file and field. */
export function readFixtures(dir: string): { name: string; path: string; fixture: Fixture }[] {
  const folder = join(dir, FIXTURES_FOLDER);
  if (!existsSync(folder)) throw new SyncerError("usage", `${folder} does not exist: a plugin's fixtures are test/fixtures/<name>.json`);
  const files = readdirSync(folder).filter((file) => file.endsWith(".json")).sort();
  if (files.length === 0) throw new SyncerError("usage", `${folder} has no fixtures (<name>.json)`);
  return files.map((file) => {
    const path = join(folder, file);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new SyncerError("usage", `${path}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const parsed = v.safeParse(FixtureSchema, json);
    if (!parsed.success) {
      const [issue] = parsed.issues;
      const at = v.getDotPath(issue);
      throw new SyncerError("usage", `${path}: ${at ? `${at}: ` : ""}${issue.message}`);
    }
    return { name: basename(file, ".json"), path, fixture: parsed.output };
  });
}
