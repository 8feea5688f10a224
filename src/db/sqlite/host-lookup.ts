import type { Statement } from "bun:sqlite";
import type { ExistingHost } from "../hosts.ts";

/** Most names bound as one JSON array parameter. */
const CHUNK = 5000;

/** The columns an ExistingHost is read from, in this order. */
export type ExistingRow = [number, string, string | null, string, string, number | null, number];
const hostOf = ([id, hostname, account, labelsText, inventoryText, deletedAt, lastChanged]: ExistingRow): ExistingHost => ({ id, hostname, account, labelsText, inventoryText, deletedAt, lastChanged });

/** The hosts of these names, as lookup (EXISTING_SQL) reads them, a chunk of names at a time. */
export function existingHosts(lookup: Statement<ExistingRow, [string]>, hostnames: string[]): Map<string, ExistingHost> {
  const found = new Map<string, ExistingHost>();
  for (let start = 0; start < hostnames.length; start += CHUNK) {
    for (const row of lookup.values(JSON.stringify(hostnames.slice(start, start + CHUNK))) as ExistingRow[]) found.set(row[1], hostOf(row));
  }
  return found;
}
export const EXISTING_SQL = "SELECT id, hostname, account, labels, inventory, deleted_at, last_changed FROM main.hosts WHERE hostname IN (SELECT value FROM json_each(?))";
