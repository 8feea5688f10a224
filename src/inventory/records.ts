import * as v from "valibot";
import { SyncerError } from "../errors.ts";
import { HostPageSchema, HostRecordSchema, type HostRecord } from "../plugins/abi.ts";
import { issuesToProblems } from "../validation/problems.ts";

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
 * Checks the pages a plugin returns and normalises their hostnames (stripped; lower-cased when
 * configured). One bad record or a hostname seen twice fails the run with the page, record, row
 * and field; nothing has been written by then.
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

  /** The page's records, checked and normalised, and the cursor of the next page. */
  page(answer: unknown, page: number): { records: HostRecord[]; next: string | null } {
    const shape = v.safeParse(HostPageSchema, answer);
    if (!shape.success) {
      const [problem] = issuesToProblems(shape.issues, HostPageSchema, { file: "", format: "json", locate: () => undefined });
      throw new SyncerError("validation", `plugin ${this.plugin} returned an invalid page ${page + 1}: ${problem?.key ? `${problem.key}: ` : ""}${problem?.message} (expected {"hosts": [...], "next": cursor or null})`);
    }
    const records: HostRecord[] = new Array(shape.output.hosts.length);
    shape.output.hosts.forEach((raw, index) => {
      const checked = v.safeParse(HostRecordSchema, raw);
      if (!checked.success) {
        const row = (raw as { row?: unknown } | null)?.row;
        const name = (raw as { hostname?: unknown } | null)?.hostname;
        const [problem] = issuesToProblems(checked.issues, HostRecordSchema, { file: "", format: "json", locate: () => undefined });
        const where = `${origin(page, index, typeof row === "number" ? row : undefined)}${typeof name === "string" ? `, hostname ${JSON.stringify(name)}` : ""}`;
        throw new SyncerError("validation", `plugin ${this.plugin} returned an invalid host record: ${where}: ${problem?.key ? `${problem.key}: ` : ""}${problem?.message}`);
      }
      const record = checked.output;
      const hostname = normalHostname(record.hostname, this.lowercase);
      const before = this.seen.get(hostname);
      if (before !== undefined) {
        throw new SyncerError("validation", `plugin ${this.plugin} returned hostname ${JSON.stringify(hostname)} twice: ${origin(...before)} and ${origin(page, index, record.row)}`);
      }
      this.seen.set(hostname, [page, index, record.row]);
      record.hostname = hostname;
      records[index] = record;
    });
    return { records, next: shape.output.next };
  }
}
