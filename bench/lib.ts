/** Small helpers shared by the benchmarks: quantiles, a uniform report line, and the data the benches import and render. */
import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const median = (values: number[]) => quantile(values, 0.5);

export function report(name: string, value: number, baseline: number, unit: string): void {
  console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(8)} ${unit}   baseline ${baseline.toFixed(1).padStart(8)} ${unit}   ratio ${(value / baseline).toFixed(2)}x`);
}

/** A port that is free right now on loopback. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

// --- the CSV the import benches feed to `syncer csv import_hosts` (bench/import.ts, bench/scale.ts)

/** The CSV's columns: the hostname, then five labels. */
export const IMPORT_COLUMNS = ["host", "site", "role", "os", "env", "rack"];

/** Row `i` of the import CSV; `changed` rows get another os. */
export function importRow(i: number, changed = false): string[] {
  return [`host${String(i).padStart(6, "0")}.example.com`, `site${i % 20}`, `role${i % 7}`, changed ? "debian-13" : `os${i % 3}`, i % 2 ? "prod" : "dev", `r${i % 100}`];
}

/** The rows of `hosts` hosts; with `changedEvery` n, every n-th row changed. */
export function importRows(hosts: number, changedEvery = 0): string[][] {
  return Array.from({ length: hosts }, (_, i) => importRow(i, changedEvery > 0 && i % changedEvery === 0));
}

export const importCsv = (data: string[][]) => [IMPORT_COLUMNS.join(","), ...data.map((row) => row.join(","))].join("\n") + "\n";

/** The same CSV as importCsv(importRows(hosts, changedEvery)), written in pieces: for inventories too large for one string. */
export async function writeImportCsv(path: string, hosts: number, changedEvery = 0): Promise<number> {
  // Bun's file writer does not truncate: a shorter CSV written over a longer one kept the old one's tail.
  rmSync(path, { force: true });
  const sink = Bun.file(path).writer();
  let bytes = 0;
  const write = (text: string) => {
    bytes += Buffer.byteLength(text);
    sink.write(text);
  };
  write(IMPORT_COLUMNS.join(",") + "\n");
  for (let start = 0; start < hosts; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(hosts, start + 10_000); i++) lines.push(importRow(i, changedEvery > 0 && i % changedEvery === 0).join(","));
    write(lines.join("\n") + "\n");
    await sink.flush();
  }
  await sink.end();
  return bytes;
}

/** A config with one csv account `bench` reading `file` (relative to the config), data in ./data; `extra` is appended. */
export const csvAccountConfig = (file: string, extra = "") =>
  `[server]\ndata_dir = "data"\n[accounts.bench]\nplugin = "csv"\n[accounts.bench.custom_fields]\npath = "${file}"\nhostname_column = "host"\n${extra}`;

/**
 * The import benches' baseline: a prepared upsert of the same rows, labels serialised in the loop, one transaction,
 * into a table like ours. Returns the milliseconds of the upsert (the table already made).
 */
export function rawUpsert(path: string, data: string[][]): number {
  const db = new Database(path, { create: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run(
    "CREATE TABLE hosts (id INTEGER PRIMARY KEY AUTOINCREMENT, hostname TEXT NOT NULL UNIQUE, account TEXT, labels TEXT NOT NULL DEFAULT '{}', inventory TEXT NOT NULL DEFAULT '{}', first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, last_changed INTEGER NOT NULL)",
  );
  db.run("CREATE INDEX hosts_account_idx ON hosts (account)");
  const started = performance.now();
  const upsert = db.prepare(
    "INSERT INTO hosts (hostname, account, labels, first_seen, last_seen, last_changed) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hostname) DO UPDATE SET labels = excluded.labels, last_seen = excluded.last_seen",
  );
  db.transaction(() => {
    const now = Date.now();
    for (const row of data) {
      const labels: Record<string, string> = {};
      for (let c = 1; c < IMPORT_COLUMNS.length; c++) labels[IMPORT_COLUMNS[c]!] = row[c]!;
      upsert.run(row[0]!, "bench", JSON.stringify(labels), now, now, now);
    }
  })();
  const ms = performance.now() - started;
  db.close();
  return ms;
}

// --- the hosts the inventory benches render (bench/inventory.ts, bench/scale.ts)

/** A host as the inventory benches store it. */
export interface SeedHost {
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
  inventory: Record<string, unknown>;
}

/** Host `i` of the inventory benches: five labels, two inventory keys. */
function inventoryHost(i: number): SeedHost {
  return {
    hostname: `host${String(i).padStart(6, "0")}.example.com`,
    account: "cmdb",
    labels: { site: `site${i % 20}`, os: i % 3 ? "debian" : "rhel", role: ["web", "db", "cache"][i % 3]!, env: i % 10 ? "prod" : "staging", rack: `r${i % 400}` },
    inventory: { cmdb__ram_gb: 8 * (1 + (i % 8)), cmdb__serial: `SN${(i * 7919).toString(36).toUpperCase()}` },
  };
}

/**
 * Inserts `hosts` hosts (hostAt(i) for each; by default 5 labels and 2 inventory keys, account cmdb) straight into a
 * database syncer has migrated (`syncer migrate`), active. Every column without a default gets a value (the schema
 * evolves: timestamps are `now`).
 */
export function seedInventoryHosts(databasePath: string, hosts: number, hostAt: (i: number) => SeedHost = inventoryHost): void {
  const db = new Database(databasePath);
  const now = Date.now();
  const given: Record<string, (host: SeedHost) => unknown> = {
    hostname: (host) => host.hostname,
    account: (host) => host.account,
    labels: (host) => JSON.stringify(host.labels),
    inventory: (host) => JSON.stringify(host.inventory),
    lifecycle: () => "active",
  };
  const columns = db
    .query<{ name: string; type: string; notnull: number; dflt_value: unknown; pk: number }, []>("PRAGMA table_info(hosts)")
    .all()
    .filter((column) => column.name in given || (column.notnull && column.dflt_value === null && !column.pk));
  const values = columns.map((column) => given[column.name] ?? (column.type.toLowerCase() === "integer" ? () => now : () => ""));
  const insert = db.query(`INSERT INTO hosts (${columns.map((column) => column.name).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
  db.transaction(() => {
    for (let i = 0; i < hosts; i++) {
      const host = hostAt(i);
      insert.run(...(values.map((value) => value(host)) as string[]));
    }
  })();
  db.close();
}

/**
 * Fills what a database's writers keep beside the hosts, for hosts seedInventoryHosts inserted directly: the label
 * index (label → host ids) and host_counts (live hosts per owner and lifecycle), as a real import leaves them.
 */
export function indexSeededHosts(databasePath: string): void {
  const db = new Database(databasePath);
  db.transaction(() => {
    db.run("DELETE FROM label_index");
    db.run("INSERT INTO label_index (key, value, host_ids) SELECT j.key, j.value, json_group_array(h.id) FROM hosts AS h, json_each(h.labels) AS j GROUP BY j.key, j.value");
    db.run("DELETE FROM host_counts");
    db.run("INSERT INTO host_counts (account, lifecycle, hosts) SELECT ifnull(account, ''), lifecycle, count(*) FROM hosts WHERE deleted_at IS NULL GROUP BY 1, 2");
  })();
  db.close();
}

// --- run as a program: bench/scale.ts's heavy setup in a process of its own

/**
 * `bun bench/lib.ts raw-upsert <db> <hosts>` prints the milliseconds of rawUpsert of importRows(hosts);
 * `bun bench/lib.ts seed <db> <hosts>` runs seedInventoryHosts. bench/scale.ts runs them so: a million rows
 * held in the bench's own process would raise its memory high-water mark, and every process it spawns
 * afterwards starts its rusage maxRSS there (see scale.ts).
 */
if (import.meta.main) {
  const [task, path, hosts] = process.argv.slice(2);
  const count = Number(hosts);
  if (!path || !Number.isInteger(count) || count < 1) throw new Error("usage: bun bench/lib.ts raw-upsert|seed <database> <hosts>");
  if (task === "raw-upsert") console.log(rawUpsert(path, importRows(count)));
  else if (task === "seed") seedInventoryHosts(path, count);
  else throw new Error(`unknown task ${JSON.stringify(task)}: raw-upsert or seed`);
}

/**
 * Drops the inventory's kept page answers (src/db/answer-files.ts: the folder `answers` beside the
 * database), so that the next inventory computes every page as the first one after a change does.
 */
export function clearKeptAnswers(databasePath: string): void {
  rmSync(join(dirname(databasePath), "answers"), { recursive: true, force: true });
}
