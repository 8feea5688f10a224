import { describe, expect, test } from "bun:test";
import { signatureMatches } from "../helpers/webhooks.ts";
import { eventWorld, metricsOf, subscribersOf, until } from "./world.ts";

/**
 * Outbound webhooks through the compiled binary, received by HTTP servers on loopback in this process:
 * signed JSON batches (GitHub's scheme), a unique delivery id per POST, retries with backoff, nothing
 * lost when a target answers 500 for a while, and a target that is down held back alone.
 */

const SECRET = "whsec-7f3a9c1e5b";

interface Received {
  deliveries: string[];
  /** The size of each batch taken. */
  batches: number[];
  events: { id: number; type: string }[];
  bad: number;
}

/** A receiver that checks every signature against `secret`; `answer` says what status the n-th POST (from 0) gets. */
function receiver(answer: (n: number) => number = () => 204) {
  const got: Received = { deliveries: [], batches: [], events: [], bad: 0 };
  let n = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      const signed = signatureMatches(SECRET, body, request.headers.get("x-syncer-signature-256"));
      if (request.method !== "POST" || request.headers.get("content-type") !== "application/json" || !signed) {
        got.bad++;
        return new Response("bad signature", { status: 401 });
      }
      got.deliveries.push(request.headers.get("x-syncer-delivery") ?? "");
      const status = answer(n++);
      if (status < 300) {
        const { events } = JSON.parse(body) as { events: { id: number; type: string }[] };
        got.events.push(...events);
        got.batches.push(events.length);
      }
      return new Response(null, { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook`, got, stop: () => server.stop(true) };
}

describe("outbound webhooks", () => {
  test("signed batches reach a working target in order; one answering 500 gets everything once it recovers; one that is down is retried, then dead-lettered, holding back no one", async () => {
    const good = receiver();
    const flaky = receiver((n) => (n < 2 ? 500 : 200));
    const gone = receiver();
    const downUrl = gone.url;
    gone.stop();
    const hooks = [
      ["good", good.url, '["*"]'],
      ["flaky", flaky.url, '["run.*", "host.*"]'],
      ["down", downUrl, '["*"]'],
    ]
      .map(([name, url, events]) => `[[webhooks]]\nname = "${name}"\nurl = "${url}"\nevents = ${events}\nsecret = "\${env:HOOK_SECRET}"\nbatch_size = 3\n`)
      .join("");
    const w = eventWorld(`[events]\nretry_seconds = 0.05\nretry_max_seconds = 0.2\nmax_attempts = 5\n${hooks}`, { HOOK_SECRET: SECRET });
    const admin = w.json("token", "create", "--name", "ops", "--scope", "admin").token as string;
    const daemon = await w.start();
    try {
      await until("the webhooks to be recorded", async () => {
        const rows = await subscribersOf(daemon, admin);
        return ["webhook:good", "webhook:flaky", "webhook:down"].every((name) => rows[name]);
      });
      w.hosts(["a.example.com,berlin", "b.example.com,paris", "c.example.com,rome"]);
      expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
      w.hosts(["a.example.com,oslo"]);
      expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
      const logged = w.sql<{ id: number; type: string }>("SELECT id, type FROM events ORDER BY id");
      const runAndHost = logged.filter((event) => /^(run|host)\./.test(event.type));

      await until("the working target to get every event", () => good.got.events.length >= logged.length);
      expect(good.got.events.map((event) => [event.id, event.type])).toEqual(logged.map((event) => [event.id, event.type]));
      // Batches of at most 3 (fewer when fewer were there), each POST with its own delivery id.
      expect(good.got.batches.every((size) => size >= 1 && size <= 3)).toBe(true);
      expect(new Set([...good.got.deliveries, ...flaky.got.deliveries]).size).toBe(good.got.deliveries.length + flaky.got.deliveries.length);

      await until("the flaky target to get every event", () => flaky.got.events.length >= runAndHost.length);
      expect(flaky.got.events.map((event) => event.id)).toEqual(runAndHost.map((event) => event.id));
      expect(flaky.got.deliveries.length).toBe(flaky.got.batches.length + 2);
      expect(good.got.bad + flaky.got.bad).toBe(0);

      const down = await until("the dead target to be dead-lettered", async () => {
        const row = (await subscribersOf(daemon, admin))["webhook:down"];
        return row.state === "dead_letter" && row;
      });
      expect(down).toMatchObject({ failures: 5, delivered: 0, last_error: { kind: "connection" } });
      const rows = await subscribersOf(daemon, admin);
      expect(rows["webhook:good"]).toMatchObject({ state: "active", delivered: logged.length });
      expect(rows["webhook:flaky"]).toMatchObject({ state: "active", failures: 0, last_error: { kind: "http", message: "webhook:flaky: the target answered 500" } });

      const metrics = await metricsOf(daemon, admin);
      expect(metrics).toContain('syncer_event_delivery_failures_total{subscriber="webhook:flaky",kind="http"} 2');
      expect(metrics).toContain('syncer_event_delivery_failures_total{subscriber="webhook:down",kind="connection"} 5');
      expect(metrics).toContain('syncer_event_subscriber_dead_letter{subscriber="webhook:down"} 1');
      expect(metrics).toMatch(/syncer_event_delivery_lag_seconds\{subscriber="webhook:down"\} [0-9.]*[1-9]/);
      expect(metrics).toContain('syncer_event_delivery_lag_seconds{subscriber="webhook:good"} 0');
    } finally {
      await daemon.stop();
      good.stop();
      flaky.stop();
    }
    // The secret is never shown: not in the log, the config dump, or anything the API answered.
    expect(daemon.log()).not.toContain(SECRET);
    expect(w.cli("config", "dump").stdout).not.toContain(SECRET);
  });

  test("a redirect to another host is refused as plugins' HTTP is: the delivery fails with kind permission", async () => {
    const elsewhere = receiver();
    const port = new URL(elsewhere.url).port;
    const redirecting = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 307, headers: { location: `http://localhost:${port}/hook` } }) });
    const w = eventWorld(
      `[events]\nretry_seconds = 0.05\nretry_max_seconds = 0.1\nmax_attempts = 2\n[[webhooks]]\nname = "moved"\nurl = "http://127.0.0.1:${redirecting.port}/"\nsecret = "\${env:HOOK_SECRET}"\n`,
      { HOOK_SECRET: SECRET },
    );
    const admin = w.json("token", "create", "--name", "ops", "--scope", "admin").token as string;
    const daemon = await w.start();
    try {
      await until("the webhook to be recorded", async () => (await subscribersOf(daemon, admin))["webhook:moved"]);
      w.hosts(["a.example.com,berlin"]);
      expect(w.cli("csv", "import_hosts", "demo").code).toBe(0);
      const row = await until("the dead letter", async () => {
        const found = (await subscribersOf(daemon, admin))["webhook:moved"];
        return found.state === "dead_letter" && found;
      });
      expect(row.last_error.kind).toBe("permission");
      expect(elsewhere.got.events).toEqual([]);
    } finally {
      await daemon.stop();
      redirecting.stop(true);
      elsewhere.stop();
    }
  });

  test("a webhook's URL must be http(s), its events valid patterns, its name its own: config errors naming the field", () => {
    const w = eventWorld();
    w.rewrite(`[[webhooks]]\nname = "a"\nurl = "ftp://example.com/x"\nsecret = "s"\nevents = ["run.*.x"]\n[[webhooks]]\nname = "a"\nurl = "https://example.com/"\nsecret = "s"\n`);
    const result = w.cli("config", "check");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("webhooks[0].url");
    expect(result.stderr).toContain("webhooks[0].events[0]");
    expect(result.stderr).toContain("each webhook needs a name of its own");
  });
});
