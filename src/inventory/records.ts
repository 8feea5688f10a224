import { SyncerError, type PluginError } from "../core/errors.ts";
import type { HostRecord } from "../plugins/abi.ts";
import type { AnswerProblem } from "../plugins/answers.ts";
import type { StagedDuplicate, StagedOrigin } from "../db/hosts.ts";

/** Where a record came from, for messages: "record 17 of page 2 (row 19)". */
function origin(page: number, index: number, row: number | undefined): string {
  return `record ${index + 1} of page ${page + 1}${row !== undefined ? ` (row ${row})` : ""}`;
}

/** A hostname as the inventory keeps it: stripped of surrounding spaces, lower-cased when [inventory] lowercase_hostnames says so. */
export function normalHostname(hostname: string, lowercase: boolean): string {
  const stripped = hostname.trim();
  return lowercase ? stripped.toLowerCase() : stripped;
}

/**
 * Reads the pages a plugin returns: their records were checked against the ABI schemas in the sandbox
 * process (the call asks for the "host-page" check, see plugins/answers.ts); here hostnames are
 * normalised (stripped; lower-cased when configured). A hostname seen twice fails the run with the
 * page, record and row of both: the run's staging finds it (duplicate). Nothing has been written by then.
 */
export class RecordCollector {
  private seen = 0;

  constructor(
    private readonly plugin: string,
    private readonly lowercase: boolean,
  ) {}

  /** How many records the pages so far held. */
  get count(): number {
    return this.seen;
  }

  /** The run's error for a page whose check failed in the sandbox, worded with the page number; undefined for other errors. */
  checkFailure(error: PluginError, page: number): SyncerError | undefined {
    const problem = error.details as AnswerProblem | undefined;
    if (problem?.answer === "page") {
      return new SyncerError("validation", `plugin ${this.plugin} returned an invalid page ${page + 1}: ${problem.problem} (expected {"hosts": [...], "next": cursor or null})`);
    }
    if (problem?.answer === "record") {
      const where = `${origin(page, problem.index, problem.row)}${problem.hostname !== undefined ? `, hostname ${JSON.stringify(problem.hostname)}` : ""}`;
      return new SyncerError("validation", `plugin ${this.plugin} returned an invalid host record: ${where}: ${problem.problem}`);
    }
    return undefined;
  }

  /** The run's error for a hostname returned twice. */
  duplicate({ hostname, first, second }: StagedDuplicate): SyncerError {
    const where = (at: StagedOrigin | undefined) => (at ? origin(at.page, at.index, at.row) : "a record");
    return new SyncerError("validation", `plugin ${this.plugin} returned hostname ${JSON.stringify(hostname)} twice: ${where(first)} and ${where(second)}`);
  }

  /** Counts `count` records the run staged as the sandbox sent them (their hostnames needed nothing). */
  counted(count: number): void {
    this.seen += count;
  }

  /** A checked page's records (see CheckedHostPage), their hostnames normalised in place. */
  records<R extends HostRecord>(hosts: R[]): R[] {
    for (const record of hosts) record.hostname = normalHostname(record.hostname, this.lowercase);
    this.seen += hosts.length;
    return hosts;
  }
}
