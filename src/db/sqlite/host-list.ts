import type { Database } from "bun:sqlite";
import type { LifecycleState } from "../../core/hosts.ts";
import type { HostFilter, HostRow } from "../hosts.ts";

/**
 * The hosts listing (the UI's hosts page, the API's GET /hosts, `hosts list`), paged by hostname without
 * an OFFSET and fast over a million hosts whatever the filter, because each filter picks the index that
 * answers it in hostname order:
 *
 * - a label carried by few hosts: its posting list in label_index names them; they are sorted (few);
 * - deleted hosts (few: they are purged): the deleted_at index, sorted;
 * - an account: hosts_account_hostname_idx, already in hostname order;
 * - a lifecycle other than active: the small partial hosts_lifecycle_hostname_idx;
 * - otherwise the hostname index itself.
 *
 * The other filters (a hostname substring, a common label, …) are checked row by row while the index is
 * walked in windows that double in size. A filter matching few of the rows it walks past would walk the
 * whole inventory; so the walk stops after a budget of rows and answers the hosts found so far (maybe
 * none) with `next` at the last hostname looked at: the page is shorter than the limit, and asking again
 * with `after = next` goes on from there. Every answer costs a bounded amount of work.
 */

/** A label whose posting list holds at most this many hosts drives the query by its ids. */
export const LABEL_DRIVER_MAX_HOSTS = 2_000;
/** Rows a filtered walk may look at per answer, weighted: a label check costs as much as four rows. */
export const SCAN_BUDGET = 150_000;
const FIRST_WINDOW = 1_024;
/** Bytes of a posting list (a JSON array of ids) per host, at most: 7 digits and a comma. */
const POSTING_BYTES_PER_HOST = 8;

export interface ListOptions {
  /** Override SCAN_BUDGET and LABEL_DRIVER_MAX_HOSTS (tests, on small inventories). */
  scanBudget?: number;
  labelDriverMaxHosts?: number;
}

type Param = string | number | null;

interface Driver {
  index: string;
  /** Conditions the index's range guarantees, besides the hostname cursor. */
  range: string[];
  params: Param[];
  /** Walked in hostname order (no sort): the page can stop early. False: the driver's rows are few and sorted whole. */
  ordered: boolean;
}

const COLUMNS = `h.id, h.hostname, h.account, h.labels, h.inventory, h.lifecycle, h.first_seen, s.last_seen, h.last_changed, h.deleted_at, h.delete_reason, h.created_run`;
type Row = [number, string, string | null, string, string, LifecycleState, number, number | null, number, number | null, string | null, number | null];

function hostOf(row: Row): HostRow {
  const [id, hostname, account, labels, inventory, lifecycle, firstSeen, lastSeen, lastChanged, deletedAt, deleteReason, createdRun] = row;
  return {
    id,
    hostname,
    account,
    labels: JSON.parse(labels) as Record<string, string>,
    inventory: JSON.parse(inventory) as Record<string, unknown>,
    lifecycle,
    firstSeen: new Date(firstSeen),
    lastSeen: lastSeen === null ? null : new Date(lastSeen),
    lastChanged: new Date(lastChanged),
    deletedAt: deletedAt === null ? null : new Date(deletedAt),
    deleteReason,
    createdRun,
  };
}

/** A LIKE pattern matching `text` anywhere, its wildcards taken literally (with ESCAPE '\'). */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, "\\$&")}%`;

/** A JSON path naming one top-level key, quoted: keys may hold dots and brackets. Keys with quotes or backslashes use json_each instead. */
const simpleKey = (key: string) => !/["\\]/.test(key);

export function listHosts(sqlite: Database, filter: HostFilter, options: ListOptions = {}): { hosts: HostRow[]; next: string | null } {
  const limit = filter.limit;
  const checks: string[] = [filter.deleted ? "h.deleted_at IS NOT NULL" : "h.deleted_at IS NULL"];
  const params: Param[] = [];
  let labelChecks = 0;
  let driver: Driver | undefined;

  // The rarest label, when rare enough, names the hosts to sort; a label no host carries answers at once.
  const labels = Object.entries(filter.labels ?? {});
  let rarest: { key: string; value: string; bytes: number } | undefined;
  for (const [key, value] of labels) {
    const bytes = sqlite.query<{ bytes: number }, [string, string]>("SELECT octet_length(host_ids) AS bytes FROM label_index WHERE key = ? AND value = ?").get(key, value)?.bytes;
    if (bytes === undefined) return { hosts: [], next: null };
    if (!rarest || bytes < rarest.bytes) rarest = { key, value, bytes };
  }
  if (rarest && rarest.bytes <= (options.labelDriverMaxHosts ?? LABEL_DRIVER_MAX_HOSTS) * POSTING_BYTES_PER_HOST) {
    driver = {
      index: "",
      range: ["h.id IN (SELECT value FROM json_each((SELECT host_ids FROM label_index WHERE key = ? AND value = ?)))"],
      params: [rarest.key, rarest.value],
      ordered: false,
    };
  }
  for (const [key, value] of labels) {
    if (driver && key === rarest?.key && value === rarest.value) continue;
    if (simpleKey(key)) {
      checks.push("json_extract(h.labels, ?) = ?");
      params.push(`$."${key}"`, value);
    } else {
      checks.push("EXISTS (SELECT 1 FROM json_each(h.labels) AS l WHERE l.key = ? AND l.value = ?)");
      params.push(key, value);
    }
    labelChecks++;
  }

  if (!driver && filter.deleted) driver = { index: "INDEXED BY hosts_deleted_at_idx", range: [], params: [], ordered: false };
  if (!driver && filter.account !== undefined) driver = { index: "INDEXED BY hosts_account_hostname_idx", range: ["h.account = ?"], params: [filter.account], ordered: true };
  else if (filter.account !== undefined) {
    checks.push("h.account = ?");
    params.push(filter.account);
  }
  if (!driver && filter.lifecycle !== undefined && filter.lifecycle !== "active") {
    // The partial index holds only hosts that are not active: the query must say so for SQLite to use it.
    driver = { index: "INDEXED BY hosts_lifecycle_hostname_idx", range: ["h.lifecycle = ?", "h.lifecycle <> 'active'"], params: [filter.lifecycle], ordered: true };
  } else if (filter.lifecycle !== undefined) {
    checks.push("h.lifecycle = ?");
    params.push(filter.lifecycle);
  }
  if (filter.search) {
    checks.push("h.hostname LIKE ? ESCAPE '\\'");
    params.push(containsPattern(filter.search));
  }
  driver ??= { index: "INDEXED BY hosts_hostname_unique", range: [], params: [], ordered: true };

  const after = filter.after ?? "";
  const where = (extra: string[]) => [...driver.range, "h.hostname > ?", ...extra, ...checks].join(" AND ");
  const select = (extra: string[]) =>
    sqlite.query<Row, Param[]>(`SELECT ${COLUMNS} FROM hosts AS h ${driver.index} LEFT JOIN host_seen AS s ON s.host_id = h.id WHERE ${where(extra)} ORDER BY h.hostname LIMIT ?`);
  const pageOf = (rows: Row[]) => {
    const page = rows.slice(0, limit).map(hostOf);
    return { hosts: page, next: rows.length > limit ? page[page.length - 1]!.hostname : null };
  };

  // Few rows (a rare label, deleted hosts), or nothing to check but what the index orders: one query.
  // `checks` always holds the deleted_at test, true of nearly every row the walk meets.
  if (!driver.ordered || checks.length === 1) return pageOf(select([]).values(...driver.params, after, ...params, limit + 1) as Row[]);

  // A walk in windows: each window's last hostname comes from the index alone, then the window's rows are checked.
  const budget = options.scanBudget ?? SCAN_BUDGET;
  const weight = 1 + 4 * labelChecks;
  const windowEnd = sqlite.query<{ hostname: string }, Param[]>(
    `SELECT h.hostname FROM hosts AS h ${driver.index} WHERE ${[...driver.range, "h.hostname > ?"].join(" AND ")} ORDER BY h.hostname LIMIT 1 OFFSET ?`,
  );
  const inWindow = select(["h.hostname <= ?"]);
  const found: Row[] = [];
  let cursor = after;
  let window = Math.max(1, Math.min(FIRST_WINDOW, Math.floor(budget / weight)));
  let spent = 0;
  for (;;) {
    const end = windowEnd.get(...driver.params, cursor, window - 1)?.hostname;
    const rows = (end === undefined ? select([]).values(...driver.params, cursor, ...params, limit + 1 - found.length) : inWindow.values(...driver.params, cursor, end, ...params, limit + 1 - found.length)) as Row[];
    found.push(...rows);
    if (found.length > limit || end === undefined) return pageOf(found);
    spent += window * weight;
    cursor = end;
    if (spent >= budget) {
      // Out of budget: the hosts found, and where to go on from.
      const page = found.map(hostOf);
      return { hosts: page, next: cursor };
    }
    window = Math.max(1, Math.min(window * 2, Math.floor((budget - spent) / weight)));
  }
}
