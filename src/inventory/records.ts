import { SyncerError, type PluginError } from "../core/errors.ts";
import type { HostRecord } from "../plugins/abi.ts";
import type { AnswerProblem } from "../plugins/answers.ts";

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
 * Collects the pages a plugin returns: their records were checked against the ABI schemas in the
 * sandbox process (the call asks for the "host-page" check, see plugins/answers.ts); here hostnames
 * are normalised (stripped; lower-cased when configured) and a hostname seen twice fails the run
 * with the page, record and row of both. Nothing has been written by then.
 */
export class RecordCollector {
  /** Hostname → where it was first seen: page, index and row, formatted only when a duplicate needs it. */
  private readonly seen = new Map<string, [number, number, number | undefined]>();

  constructor(
    private readonly plugin: string,
    private readonly lowercase: boolean,
  ) {}

  get count(): number {
    return this.seen.size;
  }

  hostnames(): IterableIterator<string> {
    return this.seen.keys();
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

  /** A checked page's records (see CheckedHostPage), their hostnames normalised in place. */
  records(hosts: HostRecord[], page: number): HostRecord[] {
    for (let index = 0; index < hosts.length; index++) {
      const record = hosts[index]!;
      const hostname = normalHostname(record.hostname, this.lowercase);
      const before = this.seen.get(hostname);
      if (before !== undefined) {
        throw new SyncerError("validation", `plugin ${this.plugin} returned hostname ${JSON.stringify(hostname)} twice: ${origin(...before)} and ${origin(page, index, record.row)}`);
      }
      this.seen.set(hostname, [page, index, record.row]);
      record.hostname = hostname;
    }
    return hosts;
  }
}
