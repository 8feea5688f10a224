import { describe, expect, test } from "bun:test";
import { eventWorld, metricsOf, startRecorded, subscribersOf, until, type EventWorld } from "./world.ts";

/**
 * Subscriber plugins through the compiled binary: the daemon hands a plugin that declares
 * `subscriptions` the events it hears, in order, at least once, from a durable cursor; failures are
 * retried with backoff and, after [events] max_attempts in a row, dead-lettered until resumed.
 */

const FAST_RETRIES = `[events]\nretry_seconds = 0.05\nretry_max_seconds = 0.2\nmax_attempts = 3\n`;

/** The events the listener took, in the order of its batches: `<id>:<type>` each. */
function taken(w: EventWorld): string[] {
  const rows = w.sql<{ key: string; value: string }>("SELECT key, value FROM plugin_kv WHERE plugin = 'listener' AND key LIKE 'batch:%'");
  rows.sort((a, b) => Number(a.key.slice(6)) - Number(b.key.slice(6)));
  return rows.flatMap((row) => row.value.split(","));
}

const logged = (w: EventWorld, where = "type NOT LIKE 'plugin.%'") => w.sql<{ id: number; type: string }>(`SELECT id, type FROM events WHERE ${where} ORDER BY id`).map((row) => `${row.id}:${row.type}`);

describe("subscriber plugins", () => {
  test("hear what happens after they start, every subscribed event in order, and the cursor follows", async () => {
    const w = eventWorld(FAST_RETRIES);
    w.hosts(["old.example.com,berlin"]);
    // Before the daemon ever ran: the subscriber starts after these.
    expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
    const before = logged(w).length;
    const { daemon, admin } = await startRecorded(w, "plugin:listener");
    try {
      w.hosts(["a.example.com,berlin", "b.example.com,paris"]);
      expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
      expect(w.cli("hosts", "lifecycle", "a.example.com", "staged").code).toBe(0);
      const expected = logged(w).slice(before);
      expect(expected.map((entry) => entry.split(":")[1])).toEqual(["run.started", "host.created", "host.created", "host.deleted", "run.finished", "host.lifecycle"]);
      await until("every event to be taken", () => taken(w).length >= expected.length);
      expect(taken(w)).toEqual(expected);
      // The plugin notes a batch as it takes it; the daemon records the delivery once the call has returned.
      await until("the deliveries to be recorded", async () => (await subscribersOf(daemon, admin))["plugin:listener"].delivered === expected.length);
      const row = (await subscribersOf(daemon, admin))["plugin:listener"];
      expect(row).toMatchObject({ state: "active", failures: 0, delivered: expected.length, last_error: null });
      // Past the last event of the log, subscribed or not (the listener's own plugin event comes after host.lifecycle).
      await until("the cursor at the end of the log", async () => (await subscribersOf(daemon, admin))["plugin:listener"].cursor === w.sql<{ id: number }>("SELECT max(id) AS id FROM events")[0]!.id);
      expect(await metricsOf(daemon, admin)).toContain(`syncer_events_delivered_total{subscriber="plugin:listener"} ${expected.length}`);
    } finally {
      await daemon.stop();
    }
    const listed = w.json("events", "subscribers");
    expect(listed.subscribers).toEqual([expect.objectContaining({ name: "plugin:listener", state: "active", behind: 0 })]);
    expect(w.cli("events", "subscribers", "forget", "plugin:listener").code).toBe(0);
    expect(w.json("events", "subscribers").subscribers).toEqual([]);
    expect(w.cli("events", "subscribers", "forget", "plugin:listener").code).toBe(1);
  });

  test("a batch refused once is delivered again: nothing is lost, the failure is counted", async () => {
    const w = eventWorld(`${FAST_RETRIES}[plugins.listener]\nmode = "flaky"\n`);
    const { daemon, admin } = await startRecorded(w, "plugin:listener");
    try {
      w.hosts(["a.example.com,berlin"]);
      expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
      const expected = logged(w);
      await until("every event to be taken", () => taken(w).length >= expected.length);
      expect(taken(w)).toEqual(expected);
      // The plugin notes a batch as it takes it; the daemon records the delivery once the call has returned.
      await until("the redelivery to be recorded", async () => (await subscribersOf(daemon, admin))["plugin:listener"].failures === 0);
      const row = (await subscribersOf(daemon, admin))["plugin:listener"];
      expect(row).toMatchObject({ state: "active", failures: 0, last_error: { kind: "runtime", message: expect.stringContaining("refused") } });
      expect(await metricsOf(daemon, admin)).toMatch(/syncer_event_delivery_failures_total\{subscriber="plugin:listener",kind="runtime"\} [1-9]/);
    } finally {
      await daemon.stop();
    }
  });

  for (const [mode, kind] of [
    ["trap", "trap"],
    ["garbage", "abi"],
    ["fail", "connection"],
  ] as const) {
    test(`a subscriber that ${mode === "fail" ? "fails" : mode === "trap" ? "traps" : "answers garbage"} is retried, then dead-lettered with the error kind; resumed, it gets the same events`, async () => {
      const w = eventWorld(`${FAST_RETRIES}[plugins.listener]\nmode = "${mode}"\n`);
      const { daemon, admin } = await startRecorded(w, "plugin:listener");
      try {
        w.hosts(["a.example.com,berlin"]);
        expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
        const dead = await until("the dead letter", async () => {
          const row = (await subscribersOf(daemon, admin))["plugin:listener"];
          return row.state === "dead_letter" && row;
        });
        expect(dead).toMatchObject({ failures: 3, delivered: 0, cursor: 0, last_error: { kind } });
        expect(await metricsOf(daemon, admin)).toContain('syncer_event_subscriber_dead_letter{subscriber="plugin:listener"} 1');
        // The state is stored before the line is logged, and the log reaches this process through a pipe.
        await until("the dead letter in the log", () => daemon.log().includes("dead-lettered after 3 failures"));
        expect(taken(w)).toEqual([]);

        // Fixed (the config now says ok) and resumed: the events held back arrive, in order.
        w.rewrite(`${FAST_RETRIES}[plugins.listener]\nmode = "ok"\n`);
        await until("the reload", () => daemon.log().includes("config reloaded"));
        const resumed = await fetch(`${daemon.url}/api/v1/events/subscribers/plugin:listener/resume`, { method: "POST", headers: { authorization: `Bearer ${admin}` } });
        expect(resumed.status).toBe(200);
        const expected = logged(w);
        // config.reloaded came after the run's events: it is delivered too, after them.
        await until("the held-back events", () => taken(w).length >= expected.length);
        expect(taken(w)).toEqual(expected);
      } finally {
        await daemon.stop();
      }
    });
  }

  test("a subscriber that runs past its time limit does not hold up imports; it is dead-lettered with kind timeout", async () => {
    const w = eventWorld(`${FAST_RETRIES}[plugins.listener]\nmode = "slow"\n`);
    const { daemon, admin } = await startRecorded(w, "plugin:listener");
    try {
      for (let round = 0; round < 3; round++) {
        w.hosts([`host${round}.example.com,berlin`]);
        const run = w.json("csv", "import_hosts", "demo");
        expect(run.status).toBe("ok");
      }
      const dead = await until("the dead letter", async () => {
        const row = (await subscribersOf(daemon, admin))["plugin:listener"];
        return row.state === "dead_letter" && row;
      }, 60_000);
      expect(dead.last_error.kind).toBe("timeout");
    } finally {
      await daemon.stop();
    }
  });
});
