import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import type { HostRepository, StagedHost } from "../../src/db/hosts.ts";
import { hostJson } from "../../src/inventory/host-json.ts";
import { freshDatabase } from "../helpers/database.ts";

/** Writes staged hosts as a run does: staged, then applied in one transaction. */
function write(hosts: HostRepository, staged: StagedHost[], runId: number | null, now: number): void {
  const staging = hosts.stage();
  try {
    expect(staging.add(staged)).toBeUndefined();
    staging.apply(runId, now, 50);
  } finally {
    staging.close();
  }
}

/** The API's single-host read renders JSON text itself, and caches it; these pin it to hostJson and to the database. */
describe("the hosts repository's json", () => {
  function withHost() {
    const database = freshDatabase();
    const labels = JSON.stringify({ site: "bér", "quo\"te": "x\ny" });
    write(database.hosts, [{ action: "create", hostname: "web01", account: "demo", labels, inventory: JSON.stringify({ demo__cpu: 4, demo__up: true, demo__note: null }) }], 7, 1_700_000_000_123);
    return { database, queries: database.hosts };
  }

  test("answers exactly hostJson's shape plus the change log, times and escapes included", () => {
    const { database, queries } = withHost();
    const host = queries.existing(["web01"]).get("web01")!;
    const labels = JSON.parse(host.labelsText);
    write(database.hosts, [{ action: "update", hostname: "web01", host, account: "demo", labels: '{"site":"ham"}', inventory: "{}", labelsChanged: true, changes: JSON.stringify({ labels: { old: labels, new: { site: "ham" } } }) }], 8, 1_700_000_000_999);
    const after = queries.get("web01")!;
    const changes = queries.changes(after.id).map((change) => ({ run_id: change.runId, at: change.at.toISOString(), changes: change.changes }));
    expect(JSON.parse(queries.json("web01")!)).toEqual({ ...hostJson(after), changes });
    expect(JSON.parse(queries.json("web01")!).last_changed).toBe("2023-11-14T22:13:20.999Z");
    expect(queries.json("nope")).toBeUndefined();
    database.close();
  });

  test("a cached host is rendered anew after a write of this process", () => {
    const { database, queries } = withHost();
    const first = JSON.parse(queries.json("web01")!);
    const host = queries.existing(["web01"]).get("web01")!;
    write(database.hosts, [{ action: "delete", hostname: "web01", host, reason: "gone", changes: '{"deleted":{"old":null,"new":"gone"}}' }], null, 1_700_000_001_000);
    expect(first.deleted_at).toBeNull();
    expect(JSON.parse(queries.json("web01")!).delete_reason).toBe("gone");
    database.close();
  });

  test("a cached host is rendered anew after another connection commits a change", async () => {
    const { database, queries } = withHost();
    expect(JSON.parse(queries.json("web01")!).lifecycle).toBe("active");
    const other = new Database(database.path);
    other.run("UPDATE hosts SET lifecycle = 'staged' WHERE hostname = 'web01'");
    other.close();
    // Other processes' commits are noticed within a millisecond.
    await Bun.sleep(2);
    expect(JSON.parse(queries.json("web01")!).lifecycle).toBe("staged");
    database.close();
  });
});
