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

/** An import or inventorize answer: the page (host-page) and each of its records (host-record). */
function checkHostPage(value: unknown): CheckOutcome {
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
  return { facts: { cursor: page.output.next } };
}

/** A host page as it arrives from a call that asked for the "host-page" check. */
export interface CheckedHostPage {
  hosts: HostRecord[];
  next: string | null;
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
