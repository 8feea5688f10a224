import { describe, expect, test } from "bun:test";
import { eventWorld } from "./world.ts";

/**
 * The hooks easydb has and Syncer lacked, through the compiled binary and the listener fixture:
 * host.pre_lifecycle may veto a lifecycle change with a message, host.post_lifecycle hears a change
 * that was made, host.post_delete hears the hosts a run deleted.
 */

const pluginEvents = (w: ReturnType<typeof eventWorld>) =>
  w.sql<{ type: string; data: string }>("SELECT type, data FROM events WHERE plugin = 'listener' ORDER BY id").map((row) => ({ type: row.type, data: JSON.parse(row.data) }));

describe("lifecycle and post_delete hooks", () => {
  test("host.pre_lifecycle vetoes a change with its reason: nothing is written, no event; an allowed change is written and host.post_lifecycle hears it", () => {
    const w = eventWorld();
    w.hosts(["a.example.com,berlin,no", "f.example.com,paris,yes"], "host,site,freeze");
    expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);

    const vetoed = w.cli("hosts", "lifecycle", "f.example.com", "decommissioned");
    expect(vetoed.code).toBe(1);
    expect(vetoed.stderr).toContain("hook listener.pre_lifecycle (host.pre_lifecycle) vetoed f.example.com becoming decommissioned: f.example.com is frozen by change control");
    expect(w.json("hosts", "show", "f.example.com").lifecycle).toBe("active");
    expect(w.sql("SELECT * FROM events WHERE type = 'host.lifecycle'")).toEqual([]);

    const allowed = w.cli("hosts", "lifecycle", "a.example.com", "decommissioned");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("a.example.com: active → decommissioned");
    expect(w.json("hosts", "show", "a.example.com").lifecycle).toBe("decommissioned");
    expect(pluginEvents(w)).toEqual([{ type: "plugin.listener.lifecycle_seen", data: { hostname: "a.example.com", old: "active", new: "decommissioned" } }]);
    expect(w.json("events", "list", "--type", "host.lifecycle").events).toEqual([
      expect.objectContaining({ type: "host.lifecycle", account: "demo", data: { hostname: "a.example.com", old: "active", new: "decommissioned" } }),
    ]);

    // The same state again: nothing to do, no hook asked.
    expect(w.cli("hosts", "lifecycle", "a.example.com", "decommissioned").stdout).toContain("decommissioned already");
    expect(pluginEvents(w)).toHaveLength(1);
  });

  test("host.post_delete hears the hosts an import deleted, after they were written", () => {
    const w = eventWorld();
    w.hosts(["a.example.com,berlin", "b.example.com,paris", "c.example.com,rome"]);
    expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
    expect(pluginEvents(w)).toEqual([]);
    w.hosts(["b.example.com,paris"]);
    const run = w.json("csv", "import_hosts", "demo");
    expect(run.deleted).toBe(2);
    expect(pluginEvents(w)).toEqual([{ type: "plugin.listener.deleted_seen", data: { hosts: ["delete:a.example.com", "delete:c.example.com"] } }]);
    // The hook ran after the commit: its event comes after the host events of the same run.
    const types = w.json("events", "list", "--type", "run.*,host.*,plugin.listener.*", "--limit", "100").events.map((event: { type: string }) => event.type);
    expect(types.slice(-4)).toEqual(["host.deleted", "host.deleted", "plugin.listener.deleted_seen", "run.finished"]);
  });
});
