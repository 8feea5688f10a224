import { SQLiteError, type Database, type Statement } from "bun:sqlite";
import { describeSystemError, SyncerError } from "../../core/errors.ts";
import { PAGE_BYTES } from "../open.ts";
import type { ExistingHost, HostMap, HostStaging, PageRecord, StagedAction, StagedDuplicate, StagedHost, StagedOrigin } from "../hosts.ts";
import { EXISTING_SQL, existingHosts } from "./host-lookup.ts";
import { HostCountChanges } from "./host-counts.ts";
import { writeHostEvents } from "./host-events.ts";
import { HostIdSet } from "./host-id-set.ts";
import { LabelIndexChanges } from "./label-index.ts";
import { SeenHosts } from "./seen-hosts.ts";

/**
 * A run's staging in SQLite: a private temporary database (ATTACH '') on a connection of the run's own,
 * which SQLite keeps in a file of its temporary directory ($SQLITE_TMPDIR, $TMPDIR, else /var/tmp or
 * /tmp), deleted from the directory as soon as it is opened: nothing is left behind, even when the
 * process is killed, and closing the connection gives its space back. Its page cache is small: a
 * million staged hosts stay on disk, not in memory. Staging takes no lock on the main database; `apply`
 * takes the write lock for set-based statements joined to the staged rows, a handful in all, whatever
 * the number of hosts.
 */

const ACTIONS = ["create", "update", "unchanged", "skipped", "delete"] as const satisfies readonly StagedAction[];
const CODE: Record<StagedAction, number> = { create: 0, update: 1, unchanged: 2, skipped: 3, delete: 4 };
/** A record addPage staged for the plan to decide; decided before addPage returns. */
const PENDING = 5;

/** The staging's page cache: SQLite's default for an attached database is 2 MiB. */
const CACHE_KIB = 16 * 1024;

const COLUMNS =
  "seq, hostname, action, page, idx, row, host_id, last_changed, old_account, old_labels, old_inventory, old_deleted_at, account, labels, inventory, labels_changed, changes, reason, owner";
type Row = [
  seq: number,
  hostname: string,
  action: number,
  page: number | null,
  idx: number | null,
  row: number | null,
  hostId: number | null,
  lastChanged: number | null,
  oldAccount: string | null,
  oldLabels: string | null,
  oldInventory: string | null,
  oldDeletedAt: number | null,
  account: string | null,
  labels: string | null,
  inventory: string | null,
  labelsChanged: number | null,
  changes: string | null,
  reason: string | null,
  owner: string | null,
];
type Value = string | number | null;
type Values = Value[];

/** The columns of the decision (after the hostname, the action and where it came from). */
const DECIDED = COLUMNS.split(", ").slice(6);
const STORED = ["host_id", "last_changed", "old_account", "old_labels", "old_inventory", "old_deleted_at"];
const storedValues = (host: ExistingHost): Values => [host.id, host.lastChanged, host.account, host.labelsText, host.inventoryText, host.deletedAt];

/** The decision's columns each action fills (the others stay NULL), and their values. */
const FILLED: { [A in StagedAction]: { columns: string[]; values: (host: Extract<StagedHost, { action: A }>) => Values } } = {
  create: { columns: ["account", "labels", "inventory", "changes"], values: (host) => [host.account, host.labels, host.inventory, host.changes ?? null] },
  update: {
    columns: [...STORED, "account", "labels", "inventory", "labels_changed", "changes"],
    values: (host) => [...storedValues(host.host), host.account, host.labels, host.inventory, host.labelsChanged ? 1 : 0, host.changes],
  },
  unchanged: { columns: ["host_id"], values: (host) => [host.hostId] },
  // The hostname stands for the stored host's id (placeholder): a skipped host is one hostname too (see the constructor).
  skipped: { columns: ["reason", "owner", "host_id"], values: (host) => [host.reason, host.owner ?? null, host.hostname] },
  delete: { columns: [...STORED, "reason", "changes"], values: (host) => [...storedValues(host.host), host.reason, host.changes] },
};

/** Where `column`'s value for `action` goes in an insert or update, as `parameter`: a skipped host's id is the stored host's of its name. */
const placeholder = (action: StagedAction, column: string, parameter: string) =>
  action === "skipped" && column === "host_id" ? `(SELECT id FROM main.hosts WHERE hostname = ${parameter})` : parameter;

/** Pushes a staged host's values for its action's insert: seq, hostname, page, idx, row, then what FILLED names. */
function pushValues(into: Values, host: StagedHost, seq: number): void {
  const origin = host.origin;
  into.push(seq, host.hostname, origin?.page ?? null, origin?.index ?? null, origin?.row ?? null);
  for (const value of (FILLED[host.action].values as (host: StagedHost) => Values)(host)) into.push(value);
}

type Plan = (record: PageRecord, existing: ExistingHost | undefined) => StagedHost;

/** What `plan` decides for `record`, which must be for its hostname. */
function decided(plan: Plan, record: PageRecord, existing: ExistingHost): StagedHost {
  const host = plan(record, existing);
  if (host.hostname !== record.hostname) throw new SyncerError("internal", `the plan of ${record.hostname} decided for ${host.hostname}`);
  return host;
}

function hostOf(row: Row): StagedHost {
  const [, hostname, code, page, index, rowNumber, hostId, lastChanged, oldAccount, oldLabels, oldInventory, oldDeletedAt, account, labels, inventory, labelsChanged, changes, reason, owner] = row;
  const origin: StagedOrigin | undefined = page === null ? undefined : { page, index: index!, ...(rowNumber === null ? {} : { row: rowNumber }) };
  const at = { hostname, ...(origin ? { origin } : {}) };
  const stored = (): ExistingHost => ({ id: hostId!, hostname, account: oldAccount, labelsText: oldLabels!, inventoryText: oldInventory!, deletedAt: oldDeletedAt, lastChanged: lastChanged! });
  switch (ACTIONS[code]!) {
    case "create":
      return { action: "create", ...at, account: account!, labels: labels!, inventory: inventory!, ...(changes === null ? {} : { changes }) };
    case "update":
      return { action: "update", ...at, host: stored(), account, labels: labels!, inventory: inventory!, labelsChanged: labelsChanged === 1, changes: changes! };
    case "unchanged":
      return { action: "unchanged", ...at, hostId: hostId! };
    case "skipped":
      return { action: "skipped", ...at, reason: reason!, ...(owner === null ? {} : { owner }) };
    case "delete":
      return { action: "delete", ...at, host: stored(), reason: reason!, changes: changes! };
  }
}

/**
 * A page's records (JSON text, $records) looked up by hostname in one pass, in their order (a LEFT JOIN keeps its
 * left side, json_each's rows in array order, as the outer loop), with what settles them where the stored
 * host does (see HostStaging.addPage): `created`, `unchanged`, else the plan decides. $records comes as bytes,
 * cast to text (a blob would be taken for SQLite's binary JSON): the page is never a JavaScript string.
 * $account: the importing account. The records' fields are read once each in a co-routine: LIMIT keeps the
 * subquery from being flattened into the join, which would read a field again for every place it is used;
 * a page whose records have no inventory is read without looking for one, in a single co-routine (a
 * tenth less than the two an inventory's namespacing needs). jsonb_each, not json_each: the page
 * is parsed once and each record handed on in SQLite's binary form, which ->> reads without parsing;
 * json_each would write every record out as text again and ->> parse that text (a quarter of the
 * statement's cost at 1M hosts). A record's inventory is namespaced here (`<account>__<key>`: the text the
 * plan writes), so a create with inventory, and a re-import whose host holds exactly that inventory, are
 * decided here too. The record's inventory is canonical JSON (the sandbox checked it so, or wrote it so) of
 * an object of scalars, in which a quote right after a comma can only open a key (a quote within a string
 * is escaped): the prefix ($prefix, the account's name and "__" as JSON string text) goes after the first `{"`
 * and after every `,"`.
 */
const PAGE = (() => {
  const fields = "value ->> '$.hostname' AS hostname, ifnull(value ->> '$.labels', '{}') AS labels, value ->> '$.row' AS row, key AS idx";
  const namespaced = `iif(inventory IS NULL OR inventory = '{}', '{}', '{"' || $prefix || replace(substr(inventory, 3), ',"', ',"' || $prefix))`;
  const join = "LEFT JOIN main.hosts AS h ON h.hostname = r.hostname";
  return {
    created: "h.id IS NULL",
    unchanged: "h.account = $account AND h.deleted_at IS NULL AND h.labels = r.labels AND (r.inventory IS NULL OR h.inventory = r.namespaced)",
    records: (withInventory: boolean) =>
      withInventory
        ? `(SELECT hostname, labels, inventory, row, idx, ${namespaced} AS namespaced
            FROM (SELECT ${fields}, value ->> '$.inventory' AS inventory FROM jsonb_each(CAST($records AS TEXT)) LIMIT -1) LIMIT -1) AS r ${join}`
        : `(SELECT ${fields}, NULL AS inventory, '{}' AS namespaced FROM jsonb_each(CAST($records AS TEXT)) LIMIT -1) AS r ${join}`,
  };
})();

/** The parameters of the page statements, by name: each takes those it names (a type, not an interface: bun:sqlite's bindings are a record). */
type PageParameters = {
  records: Uint8Array;
  account: string;
  /** The account's name and "__" as JSON string text. */
  prefix: string;
  page: number;
  /** The seq of the page's first record. */
  base: number;
};

/**
 * A page staged by SQLite whole (for pages of new hosts): each record in the page's order at seq $base + its
 * index, decided where the stored host settles it, else PENDING with the record's labels and inventory and
 * the stored host's id for the plan.
 */
const PAGE_INSERT = (table: string, withInventory: boolean) => `INSERT INTO ${table} (seq, hostname, action, page, idx, row, host_id, account, labels, inventory)
    SELECT $base + r.idx, r.hostname, CASE WHEN ${PAGE.created} THEN ${CODE.create} WHEN ${PAGE.unchanged} THEN ${CODE.unchanged} ELSE ${PENDING} END,
      $page, r.idx, r.row, h.id, iif(${PAGE.created}, $account, NULL), iif(${PAGE.unchanged}, NULL, r.labels), iif(${PAGE.created}, r.namespaced, r.inventory)
    FROM ${PAGE.records(withInventory)}`;

/**
 * A page read for the staging to stage (for pages of stored hosts): for each record, in the page's order,
 * the stored host's id (none: a create), its row, and for all but an unchanged host (none: unchanged) a
 * JSON array of what its staging needs: the hostname, labels and namespaced inventory of a create; the
 * hostname, labels and inventory of a record for the plan, and the stored host's last_changed, account,
 * labels, inventory and deleted_at. Three columns a record: an unchanged host costs little more to read than to look up.
 */
const PAGE_SELECT = (withInventory: boolean) => `SELECT h.id, r.row, CASE WHEN ${PAGE.created} THEN json_array(r.hostname, r.labels, r.namespaced) WHEN ${PAGE.unchanged} THEN NULL
        ELSE json_array(r.hostname, r.labels, r.inventory, h.last_changed, h.account, h.labels, h.inventory, h.deleted_at) END
    FROM ${PAGE.records(withInventory)}`;

/**
 * Whether the stored host `h`, whose id is not staged (stagedIds), is staged all the same: a row of the
 * staging has its name without an id (a create, or a host skipped without its id).
 */
const STAGED_BY_NAME = (table: string) => `EXISTS (SELECT 1 FROM ${table} AS s WHERE s.host_id IS NULL AND s.hostname = h.hostname)`;

/** Stored hosts read at a time: by missing and stageMissing, and as JSON arrays of ids bound to a statement. */
const ID_PAGE = 10_000;
/**
 * Runs of seen hosts kept at most (about 36 bytes each): a re-import in an order of its own (each host a run)
 * has its unchanged hosts written as rows once there are more, so the memory a staging holds stays bounded.
 */
const SEEN_RUNS_KEPT = 100_000;
/** Ids in a row from which one statement for their range costs less than looking each up (measured: a statement costs as much as about ten lookups). */
const LONG_RANGE = 16;

/**
 * The staged row of hostname ?1, through the unique indexes (see the constructor): by the id of the stored
 * host of that name, else by the name among the rows without one.
 */
const BY_HOSTNAME = (table: string) =>
  `seq = ifnull((SELECT seq FROM ${table} WHERE host_id = (SELECT id FROM main.hosts WHERE hostname = ?1)), (SELECT seq FROM ${table} WHERE host_id IS NULL AND hostname = ?1))`;

/** Hosts of one action staged by one statement: binding and stepping once per run of them, not per host, costs a third less. */
const RUN = 20;

/** Where the run of hosts of one action that begins at `at` ends: RUN of them at most. */
function endOfRun(hosts: StagedHost[], at: number): number {
  let end = at + 1;
  while (end < hosts.length && end - at < RUN && hosts[end]!.action === hosts[at]!.action) end++;
  return end;
}

const conflict = (what: string, how = "changed") =>
  new SyncerError("conflict", `${what} was ${how} by someone else while this run was in progress; nothing was written, run it again`);

const isUniqueViolation = (error: unknown) => error instanceof SQLiteError && error.code === "SQLITE_CONSTRAINT_UNIQUE";

export class SqliteHostStaging implements HostStaging {
  private readonly name = "staging";
  /** Statements on the staging, by their SQL: made here, and finalized before it is detached. */
  private readonly statements = new Map<string, Statement>();
  private readonly count: Record<StagedAction, number> = { create: 0, update: 0, unchanged: 0, skipped: 0, delete: 0 };
  private open = true;
  /**
   * The label index's changes, gathered as hosts are staged (while the plugin works on its next page);
   * undefined once hooks changed what is staged: then read from the staging when it is applied.
   */
  private labelChanges: LabelIndexChanges | undefined = new LabelIndexChanges();
  /** Creates staged so far: a created host's rank among them gives its id when applied. */
  private created = 0;
  /**
   * Staged creates per account, counted as they are staged (host_counts' change without a scan of the
   * staging); undefined once hooks changed what is staged: then counted from the staging when it is applied.
   */
  private createdBy: Map<string, number> | undefined = new Map();
  /** Whether a create was staged with a change-log entry. */
  private createsLogged = false;
  /** The seq of the next host staged: every host gets its place in the staging's order as it is staged, in the table or not (seen). */
  private nextSeq = 1;
  /** The ids of the stored hosts staged, in the table or seen: a stored host is staged once. */
  private readonly stagedIds = new HostIdSet();
  /** Stored hosts pages staged as unchanged, kept out of the table until something reads them as rows (keepSeenAsRows). */
  private readonly seen = new SeenHosts();
  /** Whether the next page is read and staged here (PAGE_SELECT) rather than staged by SQLite whole (PAGE_INSERT); see addPage. */
  private selectPages: boolean | undefined;

  /**
   * `sqlite`: a connection of the staging's own (openBulkConnection), closed with it; `applied` is told of
   * each write; `pages`: how every page is staged (tests), else chosen page by page; `seenRunsKept`: see SEEN_RUNS_KEPT (tests).
   */
  constructor(
    private readonly sqlite: Database,
    private readonly applied: () => void = () => {},
    private readonly pages?: "insert" | "select",
    private readonly seenRunsKept = SEEN_RUNS_KEPT,
  ) {
    try {
      sqlite.run(`ATTACH DATABASE '' AS ${this.name}`);
    } catch (error) {
      sqlite.close();
      throw new SyncerError("database", `cannot stage the run's writes: ${describeSystemError(error)}`);
    }
    try {
      // Nothing here needs to survive a crash: no syncs, and a journal only for a statement that fails.
      // Pages as large as the main database's: a staged host is a kilobyte or two, and apply scans the staging.
      sqlite.run(`PRAGMA ${this.name}.page_size = ${PAGE_BYTES}`);
      sqlite.run(`PRAGMA ${this.name}.journal_mode = MEMORY`);
      sqlite.run(`PRAGMA ${this.name}.synchronous = OFF`);
      sqlite.run(`PRAGMA ${this.name}.cache_size = -${CACHE_KIB}`);
      sqlite.run(`CREATE TABLE ${this.name}.staged (
        seq INTEGER PRIMARY KEY, hostname TEXT NOT NULL, action INTEGER NOT NULL, page INTEGER, idx INTEGER, row INTEGER,
        host_id INTEGER, last_changed INTEGER, old_account TEXT, old_labels TEXT, old_inventory TEXT, old_deleted_at INTEGER,
        account TEXT, labels TEXT, inventory TEXT, labels_changed INTEGER, changes TEXT, reason TEXT, owner TEXT)`);
      // A hostname is staged once. A stored host's is kept unique by its id (an integer key, a fraction of the
      // hostname's cost per insert: a re-import stages every host it reads); the rest (creates, and hosts
      // skipped without their id) by the name itself. A staged row's host_id is the id of the stored host of
      // its hostname, and stays: a decision never changes it (decide).
      sqlite.run(`CREATE UNIQUE INDEX ${this.name}.staged_host ON staged (host_id) WHERE host_id IS NOT NULL`);
      sqlite.run(`CREATE UNIQUE INDEX ${this.name}.staged_new ON staged (hostname) WHERE host_id IS NULL`);
    } catch (error) {
      this.close();
      throw new SyncerError("database", `cannot stage the run's writes: ${describeSystemError(error)}`);
    }
  }

  private statement<R = unknown, P extends (Value | Uint8Array)[] | [PageParameters] = Values>(sql: string): Statement<R, P> {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.sqlite.prepare(sql)));
    return statement as unknown as Statement<R, P>;
  }

  private get table(): string {
    if (!this.open) throw new SyncerError("internal", "the staging was used after it was closed");
    return `${this.name}.staged`;
  }

  /** The insert of `count` hosts of `action`, answering the ids of the stored hosts they name. */
  private inserter(action: StagedAction, count: number): Statement<[number | null], Values> {
    const columns = ["seq", "hostname", "page", "idx", "row", ...FILLED[action].columns];
    const one = `(${CODE[action]}, ${columns.map((column) => placeholder(action, column, "?")).join(", ")})`;
    return this.statement(`INSERT INTO ${this.table} (action, ${columns.join(", ")}) VALUES ${Array(count).fill(one).join(", ")} RETURNING host_id`);
  }

  /** Inserts `hosts` at `seqs`, one statement for each RUN of one action (at most), in a transaction: throws SQLite's error at a hostname staged already. */
  private insert(hosts: StagedHost[], seqs: number[]): void {
    this.sqlite.transaction(() => {
      for (let at = 0; at < hosts.length; ) {
        let end = endOfRun(hosts, at);
        if (end - at < RUN) end = at + 1;
        const values: Values = [];
        for (let index = at; index < end; index++) pushValues(values, hosts[index]!, seqs[index]!);
        this.inserter(hosts[at]!.action, end - at).run(...values);
        at = end;
      }
    })();
  }

  /**
   * Stages `hosts` (one action) at the next seqs as one statement, unless one of their hostnames is staged
   * already (a row of the table: the unique indexes; or seen: the id): then stages none of them, false.
   */
  private insertNew(hosts: StagedHost[]): boolean {
    const seq = this.nextSeq;
    const values: Values = [];
    hosts.forEach((host, offset) => pushValues(values, host, seq + offset));
    let ids: (number | null)[];
    try {
      ids = (this.inserter(hosts[0]!.action, hosts.length).values(...values) as [number | null][]).map(([id]) => id);
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    if (!this.addIds(ids)) {
      this.unstageFrom(seq);
      return false;
    }
    this.nextSeq += hosts.length;
    for (const host of hosts) {
      this.count[host.action]++;
      this.noted(host);
    }
    return true;
  }

  /** Takes the rows staged at `seq` and after out again (the last statement's, refused). */
  private unstageFrom(seq: number): void {
    this.statement<never, [number]>(`DELETE FROM ${this.table} WHERE seq >= ?`).run(seq);
  }

  /** Adds the stored hosts' ids among `ids` to those staged, or none of them when one is staged already (or twice in `ids`): false. */
  private addIds(ids: (number | null)[]): boolean {
    for (let at = 0; at < ids.length; at++) {
      const id = ids[at]!;
      if (id === null || this.stagedIds.add(id)) continue;
      for (let added = 0; added < at; added++) if (ids[added] !== null) this.stagedIds.delete(ids[added]!);
      return false;
    }
    return true;
  }

  /** The places of `host` and of the host staged before it under its hostname: a row of the table, or a stored host seen unchanged. */
  private duplicateOf(host: StagedHost): StagedDuplicate {
    const table = this.table;
    const row = this.statement<Row, [string]>(`SELECT ${COLUMNS} FROM ${table} WHERE ${BY_HOSTNAME(table)}`).values(host.hostname)[0] as Row | undefined;
    const id = row ? undefined : this.statement<{ id: number }, [string]>("SELECT id FROM main.hosts WHERE hostname = ?").get(host.hostname)?.id;
    return { hostname: host.hostname, first: row ? hostOf(row).origin : id === undefined ? undefined : this.seen.origin(id), second: host.origin };
  }

  existing(hostnames: string[]): Map<string, ExistingHost> {
    return existingHosts(this.statement(EXISTING_SQL), hostnames);
  }

  add(hosts: StagedHost[]): StagedDuplicate | undefined {
    let duplicate: StagedDuplicate | undefined;
    this.sqlite.transaction(() => {
      for (let at = 0; at < hosts.length; ) {
        const end = endOfRun(hosts, at);
        if (end - at === RUN && this.insertNew(hosts.slice(at, end))) {
          at = end;
          continue;
        }
        // A hostname staged already (or a short run): one at a time, to find which.
        for (; at < end; at++) {
          if (this.insertNew([hosts[at]!])) continue;
          duplicate = this.duplicateOf(hosts[at]!);
          return;
        }
      }
    })();
    return duplicate;
  }

  addPage(page: number, records: Uint8Array, account: string, plan: Plan, withInventory = true): number | undefined {
    const parameters: PageParameters = { records, account, prefix: JSON.stringify(`${account}__`).slice(1, -1), page, base: this.nextSeq };
    // A page of new hosts is staged by SQLite whole; one of stored hosts is read here, its unchanged hosts
    // seen (not written: most of a re-import) and the rest staged from here. The first page of an account
    // that owns hosts is taken for a re-import; after that, each page goes the way the one before it would have been quicker.
    this.selectPages = this.pages === undefined ? (this.selectPages ?? this.ownsHosts(account)) : this.pages === "select";
    const staged = this.selectPages ? this.selectPage(parameters, plan, withInventory) : this.insertPage(parameters, plan, withInventory);
    if (staged) this.selectPages = staged.creates * 2 < staged.records;
    return staged?.records;
  }

  private ownsHosts(account: string): boolean {
    return this.statement<{ owns: number }, [string]>("SELECT EXISTS (SELECT 1 FROM main.hosts WHERE account = ? AND deleted_at IS NULL) AS owns").get(account)!.owns === 1;
  }

  /** A page staged by SQLite (PAGE_INSERT), its pending records then decided by the plan; undefined, staging nothing, at a hostname staged already. */
  private insertPage(parameters: PageParameters, plan: Plan, withInventory: boolean): { records: number; creates: number } | undefined {
    const table = this.table;
    const { account, base } = parameters;
    let staged: number;
    try {
      staged = this.statement<never, [PageParameters]>(PAGE_INSERT(table, withInventory)).run(parameters).changes;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return undefined;
    }
    // The stored hosts it staged must not be staged already outside the table (seen).
    const ids = (this.statement<[number], [number]>(`SELECT host_id FROM ${table} WHERE seq >= ? AND host_id IS NOT NULL`).values(base) as [number][]).map(([id]) => id);
    if (!this.addIds(ids)) {
      this.unstageFrom(base);
      return undefined;
    }
    this.nextSeq = base + staged;
    // In order: a created host's rank among the creates gives its id, and the plan sees records as they came.
    // The rows are the page's creates and pending records: the rest of what it staged is unchanged, counted without a scan.
    type Row = [number, string, number, number | null, string, string | null, number | null, number | null, string | null, string | null, string | null, number | null];
    const rows = this
      .statement<Row, [number]>(
        `SELECT s.action, s.hostname, s.idx, s.row, s.labels, s.inventory, s.host_id, h.last_changed, h.account, h.labels, h.inventory, h.deleted_at
         FROM ${table} AS s LEFT JOIN main.hosts AS h ON h.id = s.host_id WHERE s.seq >= ? AND s.action IN (${CODE.create}, ${PENDING}) ORDER BY s.seq`,
      )
      .values(base) as Row[];
    this.count.unchanged += staged - rows.length;
    let creates = 0;
    if (rows.length === 0) return { records: staged, creates };
    this.sqlite.transaction(() => {
      for (const [action, hostname, index, row, labels, inventory, hostId, lastChanged, oldAccount, oldLabels, oldInventory, oldDeletedAt] of rows) {
        if (action === CODE.create) {
          creates++;
          this.count.create++;
          // The statement's creates are the account's.
          this.countCreated(account, 1);
          this.created++;
          this.labelChanges?.addCreated(this.created, JSON.parse(labels) as HostMap);
          continue;
        }
        const existing: ExistingHost = { id: hostId!, hostname, account: oldAccount, labelsText: oldLabels!, inventoryText: oldInventory!, deletedAt: oldDeletedAt, lastChanged: lastChanged! };
        const host = decided(plan, { hostname, index, row, labels, inventory }, existing);
        this.decide(host);
        this.count[host.action]++;
        this.noted(host);
      }
    })();
    return { records: staged, creates };
  }

  /**
   * A page read (PAGE_SELECT) and staged from here: its unchanged hosts seen, its creates and the plan's
   * decisions inserted at their places in the page's order; undefined, staging nothing, at a hostname staged already.
   */
  private selectPage(parameters: PageParameters, plan: Plan, withInventory: boolean): { records: number; creates: number } | undefined {
    type Read = [hostId: number | null, row: number | null, detail: string | null];
    const read = this.statement<Read, [PageParameters]>(PAGE_SELECT(withInventory)).values(parameters) as Read[];
    const { page, account, base } = parameters;
    // Every stored host the page names is staged by it, whatever is decided: none may be staged already.
    // The unchanged ones are seen; the others are staged below, in the page's order.
    const mark = this.seen.mark();
    const rest: number[] = [];
    let at = 0;
    for (; at < read.length; at++) {
      const [hostId, row, detail] = read[at]!;
      if (hostId !== null && !this.stagedIds.add(hostId)) break;
      if (detail === null) this.seen.add(hostId!, base + at, page, at, row);
      else rest.push(at);
    }
    const undo = (count: number) => {
      for (let index = 0; index < count; index++) if (read[index]![0] !== null) this.stagedIds.delete(read[index]![0]!);
      this.seen.rollback(mark);
    };
    if (at < read.length) {
      undo(at);
      return undefined;
    }
    const hosts: StagedHost[] = [];
    let creates = 0;
    try {
      for (const index of rest) {
        const [hostId, row, detail] = read[index]!;
        const origin: StagedOrigin = { page, index, ...(row === null ? {} : { row }) };
        if (hostId === null) {
          const [hostname, labels, inventory] = JSON.parse(detail!) as [string, string, string];
          hosts.push({ action: "create", hostname, origin, account, labels, inventory });
          creates++;
        } else {
          const [hostname, labels, inventory, lastChanged, oldAccount, oldLabels, oldInventory, deletedAt] = JSON.parse(detail!) as [string, string, string | null, number, string | null, string, string, number | null];
          const existing: ExistingHost = { id: hostId, hostname, account: oldAccount, labelsText: oldLabels, inventoryText: oldInventory, deletedAt, lastChanged };
          hosts.push({ ...decided(plan, { hostname, index, row, labels, inventory }, existing), origin });
        }
      }
      this.insert(hosts, rest.map((index) => base + index));
    } catch (error) {
      undo(read.length);
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    this.nextSeq = base + read.length;
    this.count.unchanged += read.length - hosts.length;
    for (const host of hosts) {
      this.count[host.action]++;
      this.noted(host);
    }
    if (this.seen.runCount > this.seenRunsKept) this.keepSeenAsRows();
    return { records: read.length, creates };
  }

  /** Stages `host`'s decision in place of what is staged for its hostname; its origin and its host's id stay. */
  private decide(host: StagedHost): void {
    const filled = FILLED[host.action].columns;
    const set = DECIDED.filter((column) => column !== "host_id" || filled.includes(column))
      .map((column) => `${column} = ${filled.includes(column) ? placeholder(host.action, column, `?${filled.indexOf(column) + 2}`) : "NULL"}`)
      .join(", ");
    this.statement<never, Values>(`UPDATE ${this.table} SET action = ${CODE[host.action]}, ${set} WHERE ${BY_HOSTNAME(this.table)}`).run(host.hostname, ...(FILLED[host.action].values as (host: StagedHost) => Values)(host));
  }

  private countCreated(account: string, count: number): void {
    this.createdBy?.set(account, (this.createdBy.get(account) ?? 0) + count);
  }

  /** What a staged host changes in the label index (see labelChanges). */
  private noted(host: StagedHost): void {
    if (host.action === "create") {
      this.created++;
      this.countCreated(host.account, 1);
      if (host.changes !== undefined) this.createsLogged = true;
      this.labelChanges?.addCreated(this.created, JSON.parse(host.labels) as HostMap);
    } else if (host.action === "update" && host.labelsChanged && this.labelChanges) {
      this.labelChanges.remove(host.host.id, JSON.parse(host.host.labelsText) as HostMap);
      this.labelChanges.add(host.host.id, JSON.parse(host.labels) as HostMap);
    }
  }

  missing(account: string): { owned: number; missing: number } {
    let owned = 0;
    let missing = 0;
    const unstaged = this.statement<{ missing: number }, [string]>(
      `SELECT count(*) AS missing FROM main.hosts AS h WHERE h.id IN (SELECT value FROM json_each(?)) AND NOT ${STAGED_BY_NAME(this.table)}`,
    );
    for (const ids of this.ownedIds(account)) {
      owned += ids.length;
      const candidates = ids.filter((id) => !this.stagedIds.has(id));
      if (candidates.length > 0) missing += unstaged.get(JSON.stringify(candidates))!.missing;
    }
    return { owned, missing };
  }

  /** The ids of the live hosts `account` owns, ID_PAGE at a time, through its index (by hostname). */
  private *ownedIds(account: string): Generator<number[]> {
    const page = this.statement<[number, string], [string, string]>(
      `SELECT id, hostname FROM main.hosts INDEXED BY hosts_account_hostname_idx WHERE account = ? AND hostname > ? AND deleted_at IS NULL ORDER BY hostname LIMIT ${ID_PAGE}`,
    );
    for (let after = ""; ; ) {
      const rows = page.values(account, after) as [number, string][];
      if (rows.length > 0) yield rows.map(([id]) => id);
      if (rows.length < ID_PAGE) return;
      after = rows[rows.length - 1]![1];
    }
  }

  stageMissing(account: string, reason: string, changes: string): number {
    const table = this.table;
    // In the order of their ids, after everything staged so far.
    const candidates: number[] = [];
    for (const ids of this.ownedIds(account)) for (const id of ids) if (!this.stagedIds.has(id)) candidates.push(id);
    candidates.sort((a, b) => a - b);
    const insert = this.statement<[number], [number, string, string, string, number, string]>(
      `INSERT INTO ${table} (seq, hostname, action, host_id, last_changed, old_account, old_labels, old_inventory, old_deleted_at, reason, changes)
       SELECT ?5 + row_number() OVER (ORDER BY h.id) - 1, h.hostname, ?1, h.id, h.last_changed, h.account, h.labels, h.inventory, h.deleted_at, ?2, ?3
       FROM main.hosts AS h WHERE h.id IN (SELECT value FROM json_each(?6)) AND h.account = ?4 AND h.deleted_at IS NULL AND NOT ${STAGED_BY_NAME(table)}
       ORDER BY h.id RETURNING host_id`,
    );
    let staged = 0;
    this.sqlite.transaction(() => {
      for (let at = 0; at < candidates.length; at += ID_PAGE) {
        const ids = (insert.values(CODE.delete, reason, changes, account, this.nextSeq, JSON.stringify(candidates.slice(at, at + ID_PAGE))) as [number][]).map(([id]) => id);
        this.addIds(ids);
        this.nextSeq += ids.length;
        staged += ids.length;
      }
    })();
    this.count.delete += staged;
    return staged;
  }

  counts(): Record<StagedAction, number> {
    return { ...this.count };
  }

  *entries(actions: readonly StagedAction[], size: number): Generator<StagedHost[]> {
    // The counts are exact: no host of these actions staged, no scan of the staging.
    if (actions.every((action) => this.count[action] === 0)) return;
    if (actions.includes("unchanged")) this.keepSeenAsRows();
    const codes = actions.map((action) => CODE[action]).join(", ");
    // Read a page at a time by seq, never holding a statement open across a yield: between pages the
    // caller may change what is staged (hooks) and the connection may serve others.
    const page = this.statement<Row, [number, number]>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq > ? AND action IN (${codes}) ORDER BY seq LIMIT ?`);
    for (let after = 0; ; ) {
      const rows = page.values(after, size) as Row[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows.map(hostOf);
      if (rows.length < size) return;
    }
  }

  replace(hosts: StagedHost[]): void {
    const table = this.table;
    this.keepSeenAsRows();
    const before = this.statement<{ action: number }, [string]>(`SELECT action FROM ${table} WHERE ${BY_HOSTNAME(table)}`);
    this.labelChanges = undefined;
    this.createdBy = undefined;
    this.sqlite.transaction(() => {
      for (const host of hosts) {
        if (host.action === "create" && host.changes !== undefined) this.createsLogged = true;
        const old = before.get(host.hostname);
        if (!old) throw new SyncerError("internal", `${host.hostname} was not staged`);
        // Where the host came from stays: the decision changes, not its origin.
        this.decide(host);
        this.count[ACTIONS[old.action]!]--;
        this.count[host.action]++;
      }
    })();
  }

  remove(hostnames: string[]): void {
    this.labelChanges = undefined;
    this.createdBy = undefined;
    this.keepSeenAsRows();
    const remove = this.statement<{ action: number; host_id: number | null }, [string]>(`DELETE FROM ${this.table} WHERE ${BY_HOSTNAME(this.table)} RETURNING action, host_id`);
    this.sqlite.transaction(() => {
      for (const hostname of hostnames) {
        for (const { action, host_id } of remove.all(hostname)) {
          this.count[ACTIONS[action]!]--;
          if (host_id !== null) this.stagedIds.delete(host_id);
        }
      }
    })();
  }

  /**
   * Writes the hosts seen unchanged as rows of the staging, at their places in its order: for what reads or
   * changes staged hosts by row (entries of unchanged hosts, hooks' rewrites). A host removed from the
   * inventory since it was staged has no name left to write: it drops out, as an unchanged host has nothing to write.
   */
  private keepSeenAsRows(): void {
    if (this.seen.size === 0) return;
    const insert = this.statement<never, [string]>(
      `INSERT INTO ${this.table} (seq, hostname, action, page, idx, row, host_id)
       SELECT j.value ->> 0, h.hostname, ${CODE.unchanged}, j.value ->> 2, j.value ->> 3, j.value ->> 4, h.id FROM json_each(?) AS j JOIN main.hosts AS h ON h.id = j.value ->> 1`,
    );
    this.sqlite.transaction(() => {
      for (const chunk of this.seen.chunks(ID_PAGE)) {
        const written = insert.run(JSON.stringify(chunk.map((host) => [host.seq, host.id, host.page, host.index, host.row]))).changes;
        this.count.unchanged -= chunk.length - written;
      }
    })();
    this.seen.clear();
  }

  apply(runId: number | null, now: number, changeLogLimit: number): void {
    const { sqlite, count } = this;
    const table = this.table;
    const labelIndex = this.labelChanges ?? this.labelIndexChanges();
    sqlite
      .transaction(() => {
        this.countChanges().apply(sqlite);
        if (count.update > 0) {
          const { changes } = this
            .statement<never, [number, number]>(
              `UPDATE main.hosts SET account = s.account, labels = s.labels, inventory = s.inventory, last_changed = ?1, deleted_at = NULL, delete_reason = NULL
               FROM ${table} AS s WHERE s.action = ?2 AND hosts.id = s.host_id AND hosts.last_changed = s.last_changed`,
            )
            .run(now, CODE.update);
          if (changes !== count.update) throw this.conflictOf(CODE.update, now);
        }
        if (count.delete > 0) {
          const { changes } = this
            .statement<never, [number, number]>(
              `UPDATE main.hosts SET deleted_at = ?1, delete_reason = s.reason, last_changed = ?1
               FROM ${table} AS s WHERE s.action = ?2 AND hosts.id = s.host_id AND hosts.last_changed = s.last_changed AND hosts.deleted_at IS NULL`,
            )
            .run(now, CODE.delete);
          if (changes !== count.delete) throw this.conflictOf(CODE.delete, now);
        }
        // Created hosts get the ids after the largest ever given (AUTOINCREMENT's rule), in staging order:
        // the label index and the change log know them without reading them back.
        let base = 0;
        if (count.create > 0) {
          base = sqlite
            .query<{ base: number }, []>("SELECT max(ifnull((SELECT seq FROM main.sqlite_sequence WHERE name = 'hosts'), 0), ifnull((SELECT max(id) FROM main.hosts), 0)) AS base")
            .get()!.base;
          // In staging order: the window numbers the rows as the scan of the staging by seq meets them.
          const created = `SELECT ?1 + row_number() OVER (ORDER BY seq) AS id, hostname, account, labels, inventory, changes FROM ${table} WHERE action = ${CODE.create}`;
          let inserted: number;
          try {
            inserted = this
              .statement<never, [number, number, number | null]>(
                `INSERT INTO main.hosts (id, hostname, account, labels, inventory, lifecycle, first_seen, last_changed, created_run)
                 SELECT id, hostname, account, labels, inventory, 'active', ?2, ?2, ?3 FROM (${created})`,
              )
              .run(base, now, runId).changes;
          } catch (error) {
            if (!isUniqueViolation(error)) throw error;
            const taken = this.statement<{ hostname: string }, []>(`SELECT s.hostname FROM ${table} AS s JOIN main.hosts AS h ON h.hostname = s.hostname WHERE s.action = ${CODE.create} LIMIT 1`).get();
            throw conflict(`host ${JSON.stringify(taken?.hostname)}`, "created");
          }
          if (inserted !== count.create) throw new SyncerError("internal", `${count.create} hosts were staged as created, ${inserted} were written`);
          // The created hosts are base + 1 … base + count.create (no one else writes while this transaction
          // holds the lock): their ids are counted, not read back from the rows just written.
          this
            .statement<never, [number, number, number]>(
              "WITH RECURSIVE created(id) AS (SELECT ?1 + 1 UNION ALL SELECT id + 1 FROM created WHERE id < ?1 + ?3) INSERT INTO main.host_seen (host_id, last_seen) SELECT id, ?2 FROM created",
            )
            .run(base, now, count.create);
          if (changeLogLimit > 0 && this.createsLogged) {
            this
              .statement<never, [number, number, number | null]>(
                `INSERT INTO main.host_changes (host_id, run_id, at, changes) SELECT id, ?3, ?2, changes FROM (${created}) WHERE changes IS NOT NULL`,
              )
              .run(base, now, runId);
          }
        }
        labelIndex.apply(sqlite, base);
        if (count.update + count.unchanged - this.seen.size > 0) {
          this
            .statement<never, [number, number, number]>(`UPDATE main.host_seen SET last_seen = ?1 FROM ${table} AS s WHERE s.action IN (?2, ?3) AND host_seen.host_id = s.host_id`)
            .run(now, CODE.update, CODE.unchanged);
        }
        this.markSeen(now);
        if (changeLogLimit > 0 && count.update + count.delete > 0) {
          const changed = `action IN (${CODE.update}, ${CODE.delete})`;
          this
            .statement<never, [number, number | null]>(`INSERT INTO main.host_changes (host_id, run_id, at, changes) SELECT host_id, ?2, ?1, changes FROM ${table} WHERE ${changed} ORDER BY seq`)
            .run(now, runId);
          // Each changed host keeps its newest entries.
          this
            .statement<never, [number]>(
              `DELETE FROM main.host_changes WHERE host_id IN (SELECT host_id FROM ${table} WHERE ${changed}) AND id NOT IN (
                 SELECT id FROM main.host_changes AS newest WHERE newest.host_id = host_changes.host_id ORDER BY id DESC LIMIT ?1)`,
            )
            .run(changeLogLimit);
        }
        if (count.create + count.update + count.delete > 0) writeHostEvents(sqlite, table, runId, now);
      })
      .immediate();
    this.applied();
  }

  /**
   * When the hosts seen unchanged were last seen: a long run of their ids is one scan of host_seen's range
   * (a tenth of the cost of a lookup a host; UPDATE … FROM would gather every row first), the rest are looked up by id.
   */
  private markSeen(now: number): void {
    const range = this.statement<never, [number, number, number]>("UPDATE main.host_seen SET last_seen = ?1 WHERE host_id BETWEEN ?2 AND ?3");
    const byId = this.statement<never, [number, string]>("UPDATE main.host_seen SET last_seen = ?1 WHERE host_id IN (SELECT value FROM json_each(?2))");
    let ids: number[] = [];
    for (const [first, last] of this.seen.ranges()) {
      if (last - first >= LONG_RANGE) {
        range.run(now, first, last);
        continue;
      }
      for (let id = first; id <= last; id++) ids.push(id);
      if (ids.length >= ID_PAGE) {
        byId.run(now, JSON.stringify(ids));
        ids = [];
      }
    }
    if (ids.length > 0) byId.run(now, JSON.stringify(ids));
  }

  /**
   * What the write does to the live hosts per owner and lifecycle, read inside its transaction before it
   * writes (a conflict rolls both back): deletions and changes of owner leave their old count, updates
   * (restorations too) of a changed owner or of a deleted host join their new one, creations join theirs.
   */
  private countChanges(): HostCountChanges {
    const changes = new HostCountChanges();
    const { count, table } = this;
    type Count = { account: string | null; lifecycle: string; hosts: number };
    if (count.update + count.delete > 0) {
      const leaving = this.statement<Count, [number, number]>(
        `SELECT h.account, h.lifecycle, count(*) AS hosts FROM ${table} AS s JOIN main.hosts AS h ON h.id = s.host_id
         WHERE h.deleted_at IS NULL AND (s.action = ?1 OR (s.action = ?2 AND s.old_account IS NOT s.account)) GROUP BY 1, 2`,
      );
      changes.addRows(leaving.all(CODE.delete, CODE.update), -1);
      const joining = this.statement<Count, [number]>(
        `SELECT s.account, h.lifecycle, count(*) AS hosts FROM ${table} AS s JOIN main.hosts AS h ON h.id = s.host_id
         WHERE s.action = ?1 AND (h.deleted_at IS NOT NULL OR s.old_account IS NOT s.account) GROUP BY 1, 2`,
      );
      changes.addRows(joining.all(CODE.update), 1);
    }
    if (count.create > 0 && this.createdBy) {
      for (const [account, hosts] of this.createdBy) changes.add(account, "active", hosts);
    } else if (count.create > 0) {
      changes.addRows(this.statement<Count, [number]>(`SELECT account, 'active' AS lifecycle, count(*) AS hosts FROM ${table} WHERE action = ?1 GROUP BY 1`).all(CODE.create), 1);
    }
    return changes;
  }

  /** The label index's changes: created hosts' labels, and old and new labels of updates that change them. Read before the write lock is taken. */
  private labelIndexChanges(): LabelIndexChanges {
    const changes = new LabelIndexChanges();
    if (this.count.create + this.count.update === 0) return changes;
    let rank = 0;
    const rows = this.statement<{ action: number; host_id: number | null; labels: string; old_labels: string | null }, []>(
      `SELECT action, host_id, labels, old_labels FROM ${this.table} WHERE action = ${CODE.create} OR (action = ${CODE.update} AND labels_changed = 1) ORDER BY seq`,
    );
    for (const row of rows.iterate()) {
      if (row.action === CODE.create) changes.addCreated(++rank, JSON.parse(row.labels) as HostMap);
      else {
        changes.remove(row.host_id!, JSON.parse(row.old_labels!) as HostMap);
        changes.add(row.host_id!, JSON.parse(row.labels) as HostMap);
      }
    }
    return changes;
  }

  /** The conflict of the first staged update or deletion that `apply` did not write (its host changed meanwhile, or is gone). */
  private conflictOf(code: number, now: number): SyncerError {
    const row = this
      .statement<{ host_id: number }, [number, number]>(`SELECT s.host_id FROM ${this.table} AS s LEFT JOIN main.hosts AS h ON h.id = s.host_id WHERE s.action = ?1 AND (h.id IS NULL OR h.last_changed IS NOT ?2) LIMIT 1`)
      .get(code, now);
    return conflict(`host #${row?.host_id}`);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
    // Closing the connection detaches the staging, and SQLite deletes its file.
    this.sqlite.close();
  }
}
