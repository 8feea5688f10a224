import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { hostJson } from "../../src/inventory/host-json.ts";
import { freshDatabase } from "../helpers/database.ts";

/** The API's single-host read renders JSON text itself, and caches it; these pin it to hostJson and to the database. */
describe("the hosts repository's json", () => {
  function withHost() {
    const database = freshDatabase();
    const store = database.hosts;
    store.write({ writes: [{ action: "create", hostname: "web01", account: "demo", labels: { site: "bér", "quo\"te": "x\ny" }, inventory: { demo__cpu: 4, demo__up: true, demo__note: null } }], touched: [] }, 7, 1_700_000_000_123, 50);
    return { database, store, queries: database.hosts };
  }

  test("answers exactly hostJson's shape plus the change log, times and escapes included", () => {
    const { database, store, queries } = withHost();
    const host = queries.get("web01")!;
    store.write({ writes: [{ action: "update", id: host.id, lastChanged: host.lastChanged.getTime(), account: "demo", labels: { site: "ham" }, inventory: {}, oldLabels: host.labels, changes: { labels: { old: host.labels, new: { site: "ham" } } } }], touched: [] }, 8, 1_700_000_000_999, 50);
    const after = queries.get("web01")!;
    const changes = queries.changes(after.id).map((change) => ({ run_id: change.runId, at: change.at.toISOString(), changes: change.changes }));
    expect(JSON.parse(queries.json("web01")!)).toEqual({ ...hostJson(after), changes });
    expect(JSON.parse(queries.json("web01")!).last_changed).toBe("2023-11-14T22:13:20.999Z");
    expect(queries.json("nope")).toBeUndefined();
    database.close();
  });

  test("a cached host is rendered anew after a write of this process", () => {
    const { database, store, queries } = withHost();
    const first = JSON.parse(queries.json("web01")!);
    const host = queries.get("web01")!;
    store.write({ writes: [{ action: "delete", id: host.id, lastChanged: host.lastChanged.getTime(), reason: "gone" }], touched: [] }, null, 1_700_000_001_000, 50);
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
