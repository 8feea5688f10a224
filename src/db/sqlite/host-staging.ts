import { SQLiteError, type Database, type Statement } from "bun:sqlite";
import { describeSystemError, SyncerError } from "../../core/errors.ts";
import { PAGE_BYTES } from "../open.ts";
import type { ExistingHost, HostMap, HostStaging, PageRecord, StagedAction, StagedDuplicate, StagedHost, StagedOrigin } from "../hosts.ts";
import { EXISTING_SQL, existingHosts } from "./host-lookup.ts";
import { HostCountChanges } from "./host-counts.ts";
import { writeHostEvents } from "./host-events.ts";
import { LabelIndexChanges } from "./label-index.ts";

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

/** Pushes a staged host's values for its action's insert: hostname, page, idx, row, then what FILLED names. */
function pushValues(into: Values, host: StagedHost): void {
  const origin = host.origin;
  into.push(host.hostname, origin?.page ?? null, origin?.index ?? null, origin?.row ?? null);
  for (const value of (FILLED[host.action].values as (host: StagedHost) => Values)(host)) into.push(value);
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
 * addPage's statement: the page's records (JSON text, ?1) looked up by hostname in one pass and staged in
 * their order (a LEFT JOIN keeps its left side, json_each's rows in array order, as the outer loop),
 * decided where the stored host settles it (see HostStaging.addPage), else PENDING with the record's
 * labels and inventory and the stored host's id for the plan. ?1 comes as bytes, cast to text (a blob
 * would be taken for SQLite's binary JSON): the page is never a JavaScript string. ?2: the page, ?3: the importing account,
 * ?4: whether records may carry inventory (else it is not looked for). The records' fields are read
 * once each in a co-routine: LIMIT keeps the subquery from being flattened into the join, which would
 * read a field again for every place it is used. jsonb_each, not json_each: the page is parsed once and
 * each record handed on in SQLite's binary form, which ->> reads without parsing; json_each would write
 * every record out as text again and ->> parse that text (a quarter of the statement's cost at 1M hosts).
 * A record's inventory is namespaced here (`<account>__<key>`: the text the plan writes), so a create with
 * inventory, and a re-import whose host holds exactly that inventory, are decided here too. The record's
 * inventory is canonical JSON (the sandbox checked it so, or wrote it so) of an object of scalars, in which a
 * quote right after a comma can only open a key (a quote within a string is escaped): the prefix (?5, the
 * account's name and "__" as JSON string text) goes after the first `{"` and after every `,"`.
 */
const PAGE_SQL = (table: string) => {
  const sameInventory = "(r.inventory IS NULL OR h.inventory = r.namespaced)";
  const unchanged = `h.account = ?3 AND h.deleted_at IS NULL AND h.labels = r.labels AND ${sameInventory}`;
  const created = "h.id IS NULL";
  const namespaced = `iif(inventory IS NULL OR inventory = '{}', '{}', '{"' || ?5 || replace(substr(inventory, 3), ',"', ',"' || ?5))`;
  return `INSERT INTO ${table} (hostname, action, page, idx, row, host_id, account, labels, inventory)
    SELECT r.hostname, CASE WHEN ${created} THEN ${CODE.create} WHEN ${unchanged} THEN ${CODE.unchanged} ELSE ${PENDING} END,
      ?2, r.idx, r.row, h.id, iif(${created}, ?3, NULL), iif(${unchanged}, NULL, r.labels), iif(${created}, r.namespaced, r.inventory)
    FROM (SELECT hostname, labels, inventory, row, idx, ${namespaced} AS namespaced
      FROM (SELECT value ->> '$.hostname' AS hostname, ifnull(value ->> '$.labels', '{}') AS labels, iif(?4, value ->> '$.inventory', NULL) AS inventory,
          value ->> '$.row' AS row, key AS idx
        FROM jsonb_each(CAST(?1 AS TEXT)) LIMIT -1) LIMIT -1) AS r
    LEFT JOIN main.hosts AS h ON h.hostname = r.hostname`;
};

/** Whether the stored host `h` is staged: s, the staging, has a row of its id or, without one, of its name. */
const STAGED_HOST = "(s.host_id = h.id OR (s.host_id IS NULL AND s.hostname = h.hostname))";

/**
 * The staged row of hostname ?1, through the unique indexes (see the constructor): by the id of the stored
 * host of that name, else by the name among the rows without one.
 */
const BY_HOSTNAME = (table: string) =>
  `seq = ifnull((SELECT seq FROM ${table} WHERE host_id = (SELECT id FROM main.hosts WHERE hostname = ?1)), (SELECT seq FROM ${table} WHERE host_id IS NULL AND hostname = ?1))`;

/** Hosts of one action staged by one statement: binding and stepping once per run of them, not per host, costs a third less. */
const RUN = 20;

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

  /** `sqlite`: a connection of the staging's own (openBulkConnection), closed with it; `applied` is told of each write. */
  constructor(
    private readonly sqlite: Database,
    private readonly applied: () => void = () => {},
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

  private statement<R = unknown, P extends (Value | Uint8Array)[] = Values>(sql: string): Statement<R, P> {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.sqlite.prepare(sql)));
    return statement as unknown as Statement<R, P>;
  }

  private get table(): string {
    if (!this.open) throw new SyncerError("internal", "the staging was used after it was closed");
    return `${this.name}.staged`;
  }

  /** The insert of `count` hosts of `action`. */
  private inserter(action: StagedAction, count: number): Statement<never, Values> {
    const columns = ["hostname", "page", "idx", "row", ...FILLED[action].columns];
    const one = `(${CODE[action]}, ${columns.map((column) => placeholder(action, column, "?")).join(", ")})`;
    return this.statement(`INSERT INTO ${this.table} (action, ${columns.join(", ")}) VALUES ${Array(count).fill(one).join(", ")}`);
  }

  existing(hostnames: string[]): Map<string, ExistingHost> {
    return existingHosts(this.statement(EXISTING_SQL), hostnames);
  }

  add(hosts: StagedHost[]): StagedDuplicate | undefined {
    const table = this.table;
    let duplicate: StagedDuplicate | undefined;
    const one = (host: StagedHost): boolean => {
      const values: Values = [];
      pushValues(values, host);
      try {
        this.inserter(host.action, 1).run(...values);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const first = this.statement<Row, [string]>(`SELECT ${COLUMNS} FROM ${table} WHERE ${BY_HOSTNAME(table)}`).values(host.hostname)[0] as Row;
        duplicate = { hostname: host.hostname, first: hostOf(first).origin, second: host.origin };
        return false;
      }
      this.count[host.action]++;
      this.noted(host);
      return true;
    };
    this.sqlite.transaction(() => {
      for (let at = 0; at < hosts.length; ) {
        const action = hosts[at]!.action;
        let end = at + 1;
        while (end < hosts.length && end - at < RUN && hosts[end]!.action === action) end++;
        if (end - at === RUN) {
          const values: Values = [];
          for (let index = at; index < end; index++) pushValues(values, hosts[index]!);
          try {
            this.inserter(action, RUN).run(...values);
            this.count[action] += RUN;
            for (let index = at; index < end; index++) this.noted(hosts[index]!);
            at = end;
            continue;
          } catch (error) {
            // A hostname staged already: one at a time, to find which.
            if (!isUniqueViolation(error)) throw error;
          }
        }
        for (; at < end; at++) if (!one(hosts[at]!)) return;
      }
    })();
    return duplicate;
  }

  addPage(page: number, records: Uint8Array, account: string, plan: (record: PageRecord, existing: ExistingHost | undefined) => StagedHost, withInventory = true): number | undefined {
    const table = this.table;
    const before = this.statement<{ last: number }, []>(`SELECT ifnull(max(seq), 0) AS last FROM ${table}`).get()!.last;
    let staged: number;
    try {
      const prefix = JSON.stringify(`${account}__`).slice(1, -1);
      staged = this.statement<never, [Uint8Array, number, string, number, string]>(PAGE_SQL(table)).run(records, page, account, withInventory ? 1 : 0, prefix).changes;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return undefined;
    }
    // In order: a created host's rank among the creates gives its id, and the plan sees records as they came.
    // The rows are the page's creates and pending records: the rest of what it staged is unchanged, counted without a scan.
    type Row = [number, string, number, number | null, string, string | null, number | null, number | null, string | null, string | null, string | null, number | null];
    const rows = this
      .statement<Row, [number]>(
        `SELECT s.action, s.hostname, s.idx, s.row, s.labels, s.inventory, s.host_id, h.last_changed, h.account, h.labels, h.inventory, h.deleted_at
         FROM ${table} AS s LEFT JOIN main.hosts AS h ON h.id = s.host_id WHERE s.seq > ? AND s.action IN (${CODE.create}, ${PENDING}) ORDER BY s.seq`,
      )
      .values(before) as Row[];
    this.count.unchanged += staged - rows.length;
    if (rows.length === 0) return staged;
    this.sqlite.transaction(() => {
      for (const [action, hostname, index, row, labels, inventory, hostId, lastChanged, oldAccount, oldLabels, oldInventory, oldDeletedAt] of rows) {
        if (action === CODE.create) {
          this.count.create++;
          // The statement's creates are the account's.
          this.countCreated(account, 1);
          this.created++;
          this.labelChanges?.addCreated(this.created, JSON.parse(labels) as HostMap);
          continue;
        }
        const existing: ExistingHost | undefined =
          hostId === null ? undefined : { id: hostId, hostname, account: oldAccount, labelsText: oldLabels!, inventoryText: oldInventory!, deletedAt: oldDeletedAt, lastChanged: lastChanged! };
        const host = plan({ hostname, index, row, labels, inventory }, existing);
        if (host.hostname !== hostname) throw new SyncerError("internal", `the plan of ${hostname} decided for ${host.hostname}`);
        this.decide(host);
        this.count[host.action]++;
        this.noted(host);
      }
    })();
    return staged;
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
    const row = this
      .statement<{ owned: number; missing: number | null }, [string]>(
        `SELECT count(*) AS owned, sum(NOT EXISTS (SELECT 1 FROM ${this.table} AS s WHERE ${STAGED_HOST})) AS missing
         FROM main.hosts AS h WHERE h.account = ? AND h.deleted_at IS NULL`,
      )
      .get(account)!;
    return { owned: row.owned, missing: row.missing ?? 0 };
  }

  stageMissing(account: string, reason: string, changes: string): number {
    const table = this.table;
    const { changes: staged } = this
      .statement<never, [number, string, string, string]>(
        `INSERT INTO ${table} (hostname, action, host_id, last_changed, old_account, old_labels, old_inventory, old_deleted_at, reason, changes)
         SELECT h.hostname, ?1, h.id, h.last_changed, h.account, h.labels, h.inventory, h.deleted_at, ?2, ?3
         FROM main.hosts AS h WHERE h.account = ?4 AND h.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM ${table} AS s WHERE ${STAGED_HOST})
         ORDER BY h.id`,
      )
      .run(CODE.delete, reason, changes, account);
    this.count.delete += staged;
    return staged;
  }

  counts(): Record<StagedAction, number> {
    return { ...this.count };
  }

  *entries(actions: readonly StagedAction[], size: number): Generator<StagedHost[]> {
    // The counts are exact: no host of these actions staged, no scan of the staging.
    if (actions.every((action) => this.count[action] === 0)) return;
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
    const remove = this.statement<{ action: number }, [string]>(`DELETE FROM ${this.table} WHERE ${BY_HOSTNAME(this.table)} RETURNING action`);
    this.sqlite.transaction(() => {
      for (const hostname of hostnames) for (const { action } of remove.all(hostname)) this.count[ACTIONS[action]!]--;
    })();
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
        if (count.update + count.unchanged > 0) {
          this
            .statement<never, [number, number, number]>(`UPDATE main.host_seen SET last_seen = ?1 FROM ${table} AS s WHERE s.action IN (?2, ?3) AND host_seen.host_id = s.host_id`)
            .run(now, CODE.update, CODE.unchanged);
        }
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
