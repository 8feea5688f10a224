import { describe, expect, test } from "bun:test";
import { BINARY, cleanEnv, startDaemon } from "../helpers/binary.ts";
import { eventWorld } from "./world.ts";

/**
 * The event log through the compiled binary: runs, host changes and lifecycle changes are recorded as
 * they are committed, read back with `syncer events list`, followed with `syncer events tail`, and served
 * by GET /api/v1/events to tokens with events:read.
 */

/** No fixture plugins: the log holds syncer's own events only. */
const world = () => eventWorld("", {}, { fixtures: false });

describe("the event log", () => {
  test("an import records run.started, one event per created, changed and deleted host, and run.finished with its counts", () => {
    const w = world();
    w.hosts(["a.example.com,berlin", "b.example.com,paris"]);
    expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
    w.hosts(["a.example.com,rome", "c.example.com,oslo"]);
    const second = w.json("csv", "import_hosts", "demo");

    const { events } = w.json("events", "list", "--limit", "100");
    expect(events.map((event: { type: string }) => event.type)).toEqual([
      "run.started",
      "host.created",
      "host.created",
      "run.finished",
      "run.started",
      "host.changed",
      "host.created",
      "host.deleted",
      "run.finished",
    ]);
    const ids = events.map((event: { id: number }) => event.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const ofSecond = events.filter((event: { run_id: number }) => event.run_id === second.run);
    expect(ofSecond.find((event: { type: string }) => event.type === "host.changed").data).toEqual({
      hostname: "a.example.com",
      changes: { labels: { old: { site: "berlin" }, new: { site: "rome" } } },
    });
    expect(ofSecond.every((event: { account: string }) => event.account === "demo")).toBe(true);
    expect(ofSecond.find((event: { type: string }) => event.type === "host.deleted").data).toEqual({ hostname: "b.example.com", reason: expect.any(String) });
    expect(ofSecond.find((event: { type: string }) => event.type === "host.created").data).toEqual({ hostname: "c.example.com", labels: { site: "oslo" } });
    expect(ofSecond.at(-1)).toMatchObject({
      type: "run.finished",
      account: "demo",
      data: { run_id: second.run, plugin: "csv", command: "import_hosts", status: "ok", counts: { created: 1, updated: 1, deleted: 1 } },
    });
  });

  test("a failed run records run.failed beside run.finished, and no host event: nothing was written", () => {
    const w = world();
    w.hosts(["a.example.com,berlin", "a.example.com,paris"]);
    expect(w.cli("csv", "import_hosts", "demo").code).toBe(1);
    const { events } = w.json("events", "list");
    expect(events.map((event: { type: string }) => event.type)).toEqual(["run.started", "run.finished", "run.failed"]);
    expect(events[2].data).toMatchObject({ status: "failed", error: { kind: expect.any(String) } });
  });

  test("--type chooses types and prefixes, --after pages on from a cursor; a pattern that is neither is a usage error", () => {
    const w = world();
    w.hosts(["a.example.com,berlin"]);
    w.cli("csv", "import_hosts", "demo");
    expect(w.cli("hosts", "lifecycle", "a.example.com", "decommissioned").code).toBe(0);

    const runs = w.json("events", "list", "--type", "run.*");
    expect(runs.events.map((event: { type: string }) => event.type)).toEqual(["run.started", "run.finished"]);
    const lifecycle = w.json("events", "list", "--type", "host.lifecycle,run.finished");
    expect(lifecycle.events.map((event: { type: string }) => event.type)).toEqual(["run.finished", "host.lifecycle"]);
    expect(lifecycle.events[1]).toMatchObject({ account: "demo", data: { hostname: "a.example.com", old: "active", new: "decommissioned" } });

    const first = w.json("events", "list", "--after", "0", "--limit", "2");
    expect(first.events).toHaveLength(2);
    const rest = w.json("events", "list", "--after", String(first.next), "--limit", "10");
    expect(rest.events.map((event: { type: string }) => event.type)).toEqual(["run.finished", "host.lifecycle"]);
    expect(rest.next).toBeNull();

    expect(w.json("events", "list", "--since", "1h").events).toHaveLength(4);
    expect(w.json("events", "list", "--since", "2099-01-01T00:00:00Z").events).toEqual([]);

    const bad = w.cli("events", "list", "--type", "run.*.x*");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('type "run.*.x*": not an event type or pattern');
    expect(w.cli("events", "list", "--since", "yesterday").stderr).toContain('since "yesterday"');
  });

  test("`events tail` prints the events recorded after it started, one JSON line each", async () => {
    const w = world();
    w.hosts(["a.example.com,berlin"]);
    w.cli("csv", "import_hosts", "demo");
    const tail = Bun.spawn([BINARY, "events", "tail", "--type", "host.*", "--json", "--config", w.config], { env: cleanEnv(), stdout: "pipe", stderr: "pipe" });
    try {
      // The tail is running once it has opened the database; the lifecycle change comes after that.
      const reader = tail.stdout.getReader();
      let text = "";
      let changed = false;
      const deadline = Date.now() + 30_000;
      while (!text.includes("\n")) {
        if (!changed) {
          await Bun.sleep(300);
          expect(w.cli("hosts", "lifecycle", "a.example.com", "staged").code).toBe(0);
          changed = true;
        }
        const chunk = await Promise.race([reader.read(), Bun.sleep(1000).then(() => undefined)]);
        if (chunk?.value) text += new TextDecoder().decode(chunk.value);
        if (Date.now() > deadline) throw new Error("tail printed nothing");
      }
      const lines = text.trim().split("\n").map((line) => JSON.parse(line));
      // Only what happened after it started: the import's host.created is not repeated.
      expect(lines).toEqual([expect.objectContaining({ type: "host.lifecycle", data: expect.objectContaining({ new: "staged" }) })]);
    } finally {
      tail.kill("SIGTERM");
      await tail.exited;
    }
  });

  test("GET /api/v1/events pages with the cursor and filters; it needs events:read", async () => {
    const w = world();
    w.hosts(["a.example.com,berlin", "b.example.com,paris"]);
    w.cli("csv", "import_hosts", "demo");
    const reader = w.json("token", "create", "--name", "reader", "--scope", "events:read").token as string;
    const other = w.json("token", "create", "--name", "other", "--scope", "hosts:read").token as string;
    const daemon = await startDaemon(["--config", w.config]);
    try {
      const get = async (path: string, token = reader) => {
        const response = await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        return { status: response.status, body: (await response.json()) as any };
      };
      const page = await get("/api/v1/events?after=0&limit=2");
      expect(page.status).toBe(200);
      expect(page.body.events.map((event: { type: string }) => event.type)).toEqual(["run.started", "host.created"]);
      const next = await get(`/api/v1/events?after=${page.body.next}&type=host.*`);
      expect(next.body).toEqual({ events: [expect.objectContaining({ type: "host.created", data: expect.objectContaining({ hostname: "b.example.com" }) })], next: null });
      expect((await get("/api/v1/events?type=nope!")).status).toBe(400);
      expect((await get("/api/v1/events", other)).status).toBe(403);
    } finally {
      await daemon.stop();
    }
  });
});
