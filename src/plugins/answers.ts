import type { PluginError } from "../core/errors.ts";
import * as v from "valibot";
import { issuesToProblems } from "../core/problems.ts";
import { HostPageSchema, HostRecordSchema, type HostRecord } from "./abi.ts";
import { spliceHostKeyed, type SplicedObject } from "./host-keyed.ts";

/**
 * A plugin's answer on its way out of the sandbox: decoded (strict UTF-8), parsed, and for the calls
 * that ask for it checked against its ABI schema in the sandbox process itself. The check then runs
 * on the sandbox's core while the daemon works on the previous page, and a malformed answer never
 * crosses to the daemon.
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
 * cursor, so the daemon can ask for the next page before it has parsed this one; an inventory page's
 * host-keyed objects, cut out of it.
 */
export interface AnswerFacts {
  cursor?: string | null;
  spliced?: SplicedObject[];
}

/** A passed check may send the answer on in another form (payload), which its facts describe. */
type CheckOutcome = { problem: AnswerProblem } | { facts: AnswerFacts; payload?: Uint8Array };

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

/** An import or inventorize answer: the page (host-page) and each of its records (host-record). */
function checkHostPage(value: unknown): CheckOutcome {
  const plain = value as { hosts?: unknown; next?: unknown } | null;
  if (typeof plain === "object" && plain !== null && Array.isArray(plain.hosts) && (plain.next === null || typeof plain.next === "string") && plain.hosts.every(plainRecord)) {
    return { facts: { cursor: plain.next }, payload: encoder.encode(recordLines(plain as { hosts: RawRecord[] })) };
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
  return { facts: { cursor: page.output.next }, payload: encoder.encode(recordLines(value as { hosts: RawRecord[] })) };
}

type RawRecord = { hostname: string; labels?: unknown; inventory?: unknown; row?: number };

/**
 * A checked host page goes on as one line per record, its fields apart: the hostname (as a JSON
 * string), the labels and the inventory (JSON text, empty when absent) and the row. The daemon takes
 * them apart with two splits and parses labels only where it needs them: a re-import compares the
 * labels' text with the stored one, and the page is parsed once, here. JSON text holds no raw
 * control characters, so the separators cannot occur inside a field.
 */
const FIELD = "\x1f";
const RECORD = "\x1e";

function recordLines(page: { hosts: RawRecord[] }): string {
  let text = "";
  for (const record of page.hosts) {
    text += `${JSON.stringify(record.hostname)}${FIELD}${JSON.stringify(record.labels ?? {})}${FIELD}${record.inventory === undefined ? "" : JSON.stringify(record.inventory)}${FIELD}${record.row ?? ""}${RECORD}`;
  }
  return text;
}

/**
 * A record of a checked page: what the sandbox's check passed, trusted as it is. `labelsText` is the
 * labels' JSON; `labels` is parsed from it on first use.
 */
export class CheckedRecord {
  private parsedLabels: Record<string, string> | undefined;
  constructor(
    public hostname: string,
    readonly labelsText: string,
    readonly inventory: HostRecord["inventory"],
    readonly row: number | undefined,
  ) {}

  get labels(): Record<string, string> {
    return (this.parsedLabels ??= JSON.parse(this.labelsText) as Record<string, string>);
  }
}

/** The records of a page that passed the "host-page" check, out of the lines the sandbox sent. */
export function checkedRecords(output: Uint8Array): CheckedRecord[] {
  const lines = decoder.decode(output).split(RECORD);
  lines.pop(); // after the last separator
  return lines.map((line) => {
    const [name, labels, inventory, row] = line.split(FIELD) as [string, string, string, string];
    // A hostname without quotes or escapes in it (nearly all) is the text between its quotes.
    const hostname = name.includes("\\") ? (JSON.parse(name) as string) : name.slice(1, -1);
    return new CheckedRecord(hostname, labels, inventory === "" ? undefined : (JSON.parse(inventory) as HostRecord["inventory"]), row === "" ? undefined : Number(row));
  });
}

/**
 * An inventory page (any JSON): sent on in the host-keyed form (host-keyed.ts), given the hostnames
 * of the page the sandbox read for the call.
 */
function checkInventoryPage(value: unknown, hostnames: ReadonlySet<string>): CheckOutcome {
  const { payload, spliced } = spliceHostKeyed(value, hostnames);
  return { facts: { spliced }, payload };
}

const ANSWER_CHECKS = { "host-page": checkHostPage, "inventory-page": checkInventoryPage } as const;
export type AnswerCheck = keyof typeof ANSWER_CHECKS;

/**
 * Parses an answer and checks it: what the check learnt and the answer to send on, or an abi error
 * carrying the AnswerProblem as details. `hostnames`: those of the page the call was given, if any.
 */
export function checkAnswer(
  bytes: Uint8Array,
  ident: string,
  exportName: string,
  check: AnswerCheck,
  hostnames: ReadonlySet<string> = new Set(),
): { ok: true; facts: AnswerFacts; payload: Uint8Array } | { ok: false; error: PluginError } {
  const parsed = parseAnswer(bytes, ident, exportName);
  if (!parsed.ok) return parsed;
  const outcome = ANSWER_CHECKS[check](parsed.value, hostnames);
  if ("facts" in outcome) return { ok: true, facts: outcome.facts, payload: outcome.payload ?? bytes };
  const { problem } = outcome;
  return { ok: false, error: { kind: "abi", message: `plugin ${ident}: ${exportName} returned an invalid ${check}: ${problem.problem}`, details: problem } };
}
