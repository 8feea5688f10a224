import type { PluginError } from "../core/errors.ts";
import * as v from "valibot";
import { issuesToProblems } from "../core/problems.ts";
import { HostPageSchema, HostRecordSchema, type HostRecord } from "./abi.ts";
import { NOT_CANONICAL } from "./canonical-json.ts";
import { canonicalHostPage, type RecordFacts } from "./canonical-host-page.ts";
import { PageHostnames, spliceCanonical, spliceHostKeyed, type SplicedObject } from "./host-keyed.ts";

/**
 * A plugin's answer on its way out of the sandbox: for the calls that ask for it, checked against its
 * ABI schema in the sandbox process itself. The check then runs on the sandbox's core while the daemon
 * works on the previous page, and a malformed answer never crosses to the daemon. An answer in
 * canonical JSON (what syncer's SDK writes) is checked on its bytes; any other is decoded (strict
 * UTF-8) and parsed first.
 */

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export type ParsedAnswer = { ok: true; value: unknown } | { ok: false; error: PluginError };

/** The answer's JSON value (null when it is empty), or an abi error. */
export function parseAnswer(bytes: Uint8Array, ident: string, exportName: string): ParsedAnswer {
  if (bytes.byteLength === 0) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(decoder.decode(bytes)) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { kind: "abi", message: `plugin ${ident}: ${exportName} returned something that is not UTF-8 JSON (${reason})` } };
  }
}

/** Where in an answer its first problem lies, for the daemon to word with what it knows (the page number). */
export type AnswerProblem =
  | { answer: "page"; problem: string }
  | { answer: "record"; problem: string; index: number; row?: number; hostname?: string };

function problemOf(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]], schema: v.GenericSchema): string {
  const [problem] = issuesToProblems(issues, schema, { file: "", format: "json", locate: () => undefined });
  return `${problem?.key ? `${problem.key}: ` : ""}${problem?.message}`;
}

/**
 * What a check learnt of an answer that passed, sent with it in the result's header: a host page's
 * cursor, so the daemon can ask for the next page before it has read this one, and what its records
 * need; an inventory page's host-keyed objects, cut out of it.
 */
export interface AnswerFacts {
  cursor?: string | null;
  /** A host page said it is not all the source holds (HostPageSchema's `partial`). */
  partial?: boolean;
  records?: RecordFacts;
  spliced?: SplicedObject[];
}

/** A passed check sends the answer on in another form (payload), which its facts describe; an answer that is not JSON is an error. */
type CheckOutcome = { problem: AnswerProblem } | { facts: AnswerFacts; payload: Uint8Array[] } | { error: PluginError };

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value) && !Object.hasOwn(value, "__proto__");
const NOT_BLANK = /\S/;

/**
 * Whether a record surely passes HostRecordSchema, decided without valibot (a fifth of its cost on a
 * page of a million hosts' import). It accepts a subset of what the schema accepts: anything it doubts
 * goes to the schema, which decides and words the problem.
 */
function plainRecord(record: unknown): boolean {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return false;
  const { hostname, labels, inventory, row } = record as Record<string, unknown>;
  if (typeof hostname !== "string" || hostname.length > 253 || !NOT_BLANK.test(hostname)) return false;
  if (row !== undefined && !Number.isInteger(row)) return false;
  if (labels !== undefined) {
    if (!isMap(labels)) return false;
    for (const key in labels) if (key === "" || typeof labels[key] !== "string") return false;
  }
  if (inventory !== undefined) {
    if (!isMap(inventory)) return false;
    for (const key in inventory) {
      const field = inventory[key];
      if (key === "" || (field !== null && typeof field !== "string" && typeof field !== "number" && typeof field !== "boolean")) return false;
    }
  }
  return true;
}

/**
 * An import or inventorize answer: the page (host-page) and each of its records (host-record). A
 * canonical answer is checked on its bytes (canonical-host-page.ts); any other is parsed and checked
 * here, and gives the same tuples.
 */
function checkHostPage(bytes: Uint8Array, ident: string, exportName: string): CheckOutcome {
  try {
    const { payload, cursor, records, partial } = canonicalHostPage(bytes);
    return { facts: { cursor, records, ...(partial ? { partial } : {}) }, payload: [payload] };
  } catch (error) {
    if (error !== NOT_CANONICAL) throw error;
  }
  const parsed = parseAnswer(bytes, ident, exportName);
  if (!parsed.ok) return { error: parsed.error };
  const value = parsed.value;
  const plain = value as { hosts?: unknown; next?: unknown; partial?: unknown } | null;
  if (typeof plain === "object" && plain !== null && Array.isArray(plain.hosts) && (plain.next === null || typeof plain.next === "string") && (plain.partial === undefined || typeof plain.partial === "boolean") && plain.hosts.every(plainRecord)) {
    return checkedPage(plain as { hosts: RawRecord[]; next: string | null; partial?: boolean });
  }
  const page = v.safeParse(HostPageSchema, value);
  if (!page.success) return { problem: { answer: "page", problem: problemOf(page.issues, HostPageSchema) } };
  const hosts = page.output.hosts;
  for (let index = 0; index < hosts.length; index++) {
    const record = v.safeParse(HostRecordSchema, hosts[index]);
    if (record.success) continue;
    const raw = hosts[index] as { row?: unknown; hostname?: unknown } | null;
    return {
      problem: {
        answer: "record",
        problem: problemOf(record.issues, HostRecordSchema),
        index,
        row: typeof raw?.row === "number" ? raw.row : undefined,
        hostname: typeof raw?.hostname === "string" ? raw.hostname : undefined,
      },
    };
  }
  return checkedPage({ hosts: hosts as RawRecord[], next: page.output.next, partial: page.output.partial });
}

type RawRecord = { hostname: string; labels?: unknown; inventory?: unknown; row?: number };

/**
 * A checked host page goes on as a canonical JSON array of its records, `{hostname, labels, inventory,
 * row}` as far as each has them: what the daemon stages as it is, and parses only where it must plan a
 * record itself (storage's staging reads it; see runs/sync-hosts.ts). A canonical answer's own array is
 * that already (canonical-host-page.ts); any other is written so here.
 */
function checkedPage(page: { hosts: RawRecord[]; next: string | null; partial?: boolean }): CheckOutcome {
  const facts: RecordFacts = { trimmed: true, lowerCase: true, inventory: false };
  const records = page.hosts.map(({ hostname, labels, inventory, row }) => {
    if (hostname.trim() !== hostname) facts.trimmed = false;
    if (hostname.toLowerCase() !== hostname) facts.lowerCase = false;
    if (inventory !== undefined) facts.inventory = true;
    return { hostname, labels, inventory, row };
  });
  return { facts: { cursor: page.next, records: facts, ...(page.partial ? { partial: true } : {}) }, payload: [encoder.encode(JSON.stringify(records))] };
}

/** A record of a checked page, as the daemon reads it where it plans records itself. */
export type CheckedRecord = HostRecord;

/** The records of a page that passed the "host-page" check, out of the array the sandbox sent. */
export function checkedRecords(output: Uint8Array): CheckedRecord[] {
  return JSON.parse(decoder.decode(output)) as CheckedRecord[];
}

/**
 * An inventory page (any JSON): sent on in the host-keyed form (host-keyed.ts), given the hostnames
 * of the page the sandbox read for the call. A canonical answer is cut on its bytes.
 */
function checkInventoryPage(bytes: Uint8Array, ident: string, exportName: string, hostnames: PageHostnames): CheckOutcome {
  const canonical = spliceCanonical(bytes, hostnames);
  if (canonical) return { facts: { spliced: canonical.spliced }, payload: canonical.payload };
  const parsed = parseAnswer(bytes, ident, exportName);
  if (!parsed.ok) return { error: parsed.error };
  const { payload, spliced } = spliceHostKeyed(parsed.value, hostnames.toSet());
  return { facts: { spliced }, payload: [payload] };
}

const ANSWER_CHECKS = { "host-page": checkHostPage, "inventory-page": checkInventoryPage } as const;
export type AnswerCheck = keyof typeof ANSWER_CHECKS;

/**
 * Checks an answer: what the check learnt and the answer to send on (in parts, which may be views of
 * `bytes`), or an abi error (carrying the AnswerProblem as details when the answer was JSON).
 * `hostnames`: those of the page the call was given.
 */
export function checkAnswer(
  bytes: Uint8Array,
  ident: string,
  exportName: string,
  check: AnswerCheck,
  hostnames: PageHostnames = new PageHostnames(undefined),
): { ok: true; facts: AnswerFacts; payload: Uint8Array[] } | { ok: false; error: PluginError } {
  const outcome = ANSWER_CHECKS[check](bytes, ident, exportName, hostnames);
  if ("error" in outcome) return { ok: false, error: outcome.error };
  if ("facts" in outcome) return { ok: true, facts: outcome.facts, payload: outcome.payload };
  const { problem } = outcome;
  return { ok: false, error: { kind: "abi", message: `plugin ${ident}: ${exportName} returned an invalid ${check}: ${problem.problem}`, details: problem } };
}
