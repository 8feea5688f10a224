import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { TokenStore } from "../../src/auth/tokens.ts";
import { errorBody } from "../../src/http/errors.ts";
import { authenticate, requireScope, type AuthEnv } from "../../src/http/auth.ts";
import { clientKey } from "../../src/http/client-address.ts";
import { FailedAuthLimiter } from "../../src/http/failed-auth-limiter.ts";
import { freshDatabase } from "../helpers/database.ts";

/** A real Hono app behind the middleware: routes needing hosts:read, runs:trigger and admin, and a clock the test moves. */
function world(limits: { trustProxy?: boolean } = {}) {
  const clock = { now: 1_700_000_000_000 };
  const tokens = new TokenStore(freshDatabase(), { now: () => clock.now });
  const limiter = new FailedAuthLimiter({ now: () => clock.now, ...limits });
  const app = new Hono<AuthEnv>();
  app.get("/whoami", (c) => c.text(limiter.clientOf(c)));
  app.use("/api/*", authenticate(tokens, limiter));
  app.get("/api/v1/hosts", requireScope("hosts:read"), (c) => c.json({ hosts: [], token: c.get("token").name }));
  app.post("/api/v1/runs", requireScope("runs:trigger"), (c) => c.json({ started: true }));
  app.delete("/api/v1/tokens/1", requireScope("admin"), (c) => c.json({ revoked: true }));
  app.onError((_error, c) => c.json(errorBody("internal", "internal error"), 500));
  /** Every body the app answered, to check no token ever leaks into one. */
  const bodies: string[] = [];
  const request = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== undefined) headers.set("Authorization", `Bearer ${init.token}`);
    const response = await app.request(path, { ...init, headers });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as { error: { kind: string; message: string; details?: Record<string, unknown> } } };
  };
  return { app, clock, tokens, limiter, request, bodies };
}

describe("authenticate", () => {
  test("no Authorization header: 401 unauthorized with WWW-Authenticate: Bearer, saying how to send a token", async () => {
    const { request } = world();
    const response = await request("/api/v1/hosts");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(response.json.error.kind).toBe("unauthorized");
    expect(response.json.error.message).toContain("Authorization: Bearer <token>");
  });

  test("another scheme than Bearer: 401 naming the Bearer scheme", async () => {
    const { request } = world();
    const response = await request("/api/v1/hosts", { headers: { Authorization: "Basic YWRtaW46c2VjcmV0" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(response.json.error.message).toContain("must use the Bearer scheme");
    expect(response.text).not.toContain("YWRtaW46c2VjcmV0");
  });

  test("a garbage, an unknown and a revoked token all get the same 401 invalid_token answer", async () => {
    const { request, tokens } = world();
    const { token } = tokens.create({ name: "old", scopes: ["admin"] });
    tokens.revoke("old");
    const answers = [];
    for (const presented of ["garbage", `syncer_${"x".repeat(43)}`, token, ""]) {
      const response = await request("/api/v1/hosts", { token: presented });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
      answers.push(response.json);
    }
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toEqual({ error: { kind: "unauthorized", message: "invalid or revoked API token" } });
  });

  test("the scheme is case-insensitive and a valid token reaches the route, which sees the token's info", async () => {
    const { app, tokens } = world();
    const { token } = tokens.create({ name: "reader", scopes: ["hosts:read"] });
    const response = await app.request("/api/v1/hosts", { headers: { Authorization: `bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hosts: [], token: "reader" });
  });

  test("revoking a token in the same store takes effect on the next request", async () => {
    const { request, tokens } = world();
    const { token } = tokens.create({ name: "ci", scopes: ["hosts:read"] });
    expect((await request("/api/v1/hosts", { token })).status).toBe(200);
    tokens.revoke("ci");
    expect((await request("/api/v1/hosts", { token })).status).toBe(401);
  });

  test("routes outside the authenticated prefix need no token", async () => {
    const { app } = world();
    expect((await app.request("/whoami")).status).toBe(200);
  });
});

describe("requireScope", () => {
  test("a token without the scope gets 403 forbidden naming the scope and the token's name, never its value", async () => {
    const { request, tokens } = world();
    const { token } = tokens.create({ name: "reader", scopes: ["hosts:read"] });
    const response = await request("/api/v1/runs", { method: "POST", token });
    expect(response.status).toBe(403);
    expect(response.json.error).toEqual({
      kind: "forbidden",
      message: "the token 'reader' lacks the scope 'runs:trigger' this request needs",
      details: { needed: "runs:trigger", token: "reader", scopes: ["hosts:read"] },
    });
    expect(response.text).not.toContain(token);
  });

  test("a token with the scope, or one implying it, passes", async () => {
    const { app, tokens } = world();
    const writer = tokens.create({ name: "writer", scopes: ["hosts:write"] }).token;
    const trigger = tokens.create({ name: "trigger", scopes: ["runs:trigger"] }).token;
    const auth = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    expect((await app.request("/api/v1/hosts", auth(writer))).status).toBe(200);
    expect((await app.request("/api/v1/runs", { method: "POST", ...auth(trigger) })).status).toBe(200);
    expect((await app.request("/api/v1/tokens/1", { method: "DELETE", ...auth(trigger) })).status).toBe(403);
  });

  test("admin implies every scope", async () => {
    const { app, tokens } = world();
    const { token } = tokens.create({ name: "root", scopes: ["admin"] });
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    expect((await app.request("/api/v1/hosts", auth)).status).toBe(200);
    expect((await app.request("/api/v1/runs", { method: "POST", ...auth })).status).toBe(200);
    expect((await app.request("/api/v1/tokens/1", { method: "DELETE", ...auth })).status).toBe(200);
  });

  test("requireScope without authenticate before it is a server bug: 500, not a pass", async () => {
    const app = new Hono<AuthEnv>();
    app.get("/unguarded", requireScope("hosts:read"), (c) => c.text("leaked"));
    app.onError((_error, c) => c.json(errorBody("internal", "internal error"), 500));
    expect((await app.request("/unguarded")).status).toBe(500);
  });
});

describe("failed authentication limit", () => {
  test("after 10 failures within 60 s the 11th request gets 429 with Retry-After, even with a valid token", async () => {
    const { request, tokens, clock } = world();
    const { token } = tokens.create({ name: "ci", scopes: ["hosts:read"] });
    for (let i = 0; i < 10; i++) {
      expect((await request("/api/v1/hosts", { token: `syncer_guess${i}` })).status).toBe(401);
      clock.now += 1000;
    }
    const blocked = await request("/api/v1/hosts", { token });
    expect(blocked.status).toBe(429);
    expect(blocked.json.error.kind).toBe("rate_limited");
    // The first failure was 10 s ago: 50 s of the window are left.
    expect(blocked.headers.get("retry-after")).toBe("50");
    expect(blocked.json.error.details).toEqual({ retry_after_seconds: 50 });
    clock.now += 49_000;
    expect((await request("/api/v1/hosts", { token })).status).toBe(429);
    // Once the oldest failure is older than the window, the valid token works again.
    clock.now += 1000;
    expect((await request("/api/v1/hosts", { token })).status).toBe(200);
  });

  test("successful requests and missing headers do not count as failures", async () => {
    const { request, tokens } = world();
    const { token } = tokens.create({ name: "ci", scopes: ["hosts:read"] });
    for (let i = 0; i < 9; i++) expect((await request("/api/v1/hosts", { token: "wrong" })).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await request("/api/v1/hosts", { token })).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await request("/api/v1/hosts")).status).toBe(401);
    expect((await request("/api/v1/hosts", { token: "wrong" })).status).toBe(401);
    expect((await request("/api/v1/hosts", { token })).status).toBe(429);
  });

  test("failures older than the window are forgotten", async () => {
    const { request, tokens, clock } = world();
    const { token } = tokens.create({ name: "ci", scopes: ["hosts:read"] });
    for (let i = 0; i < 9; i++) await request("/api/v1/hosts", { token: "wrong" });
    clock.now += 60_000;
    for (let i = 0; i < 9; i++) await request("/api/v1/hosts", { token: "wrong" });
    expect((await request("/api/v1/hosts", { token })).status).toBe(200);
  });

  test("no answer ever contains a presented or a created token", async () => {
    const { request, tokens, bodies } = world();
    const { token } = tokens.create({ name: "ci", scopes: ["hosts:read"] });
    const admin = tokens.create({ name: "root", scopes: ["admin"] }).token;
    const guesses = Array.from({ length: 12 }, (_, i) => `syncer_${String(i).padStart(43, "Z")}`);
    await request("/api/v1/hosts", { token });
    await request("/api/v1/runs", { method: "POST", token });
    await request("/api/v1/tokens/1", { method: "DELETE", token: admin });
    for (const guess of guesses) await request("/api/v1/hosts", { token: guess });
    await request("/api/v1/hosts", { token });
    expect(bodies.some((body) => body.includes("rate_limited"))).toBe(true);
    for (const body of bodies) for (const secret of [token, admin, ...guesses]) expect(body).not.toContain(secret);
  });

  test("through Bun.serve the client is its TCP address; X-Forwarded-For is ignored unless trustProxy is set", async () => {
    const direct = world();
    const proxied = world({ trustProxy: true });
    const servers = [direct, proxied].map(({ app }) => Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch }));
    try {
      const whoami = (server: (typeof servers)[number], forwarded: string) =>
        fetch(`http://127.0.0.1:${server.port}/whoami`, { headers: { "X-Forwarded-For": forwarded } }).then((response) => response.text());
      expect(await whoami(servers[0]!, "203.0.113.9")).toBe("127.0.0.1");
      // Behind a trusted proxy: the address that proxy appended (the last), not what the client claimed before it.
      expect(await whoami(servers[1]!, "198.51.100.1, 203.0.113.9")).toBe("203.0.113.9");

      // Forged X-Forwarded-For values do not dodge the limit of a direct client.
      const { token } = direct.tokens.create({ name: "ci", scopes: ["hosts:read"] });
      for (let i = 0; i < 10; i++) {
        const response = await fetch(`http://127.0.0.1:${servers[0]!.port}/api/v1/hosts`, {
          headers: { Authorization: "Bearer wrong", "X-Forwarded-For": `192.0.2.${i}` },
        });
        expect(response.status).toBe(401);
      }
      const blocked = await fetch(`http://127.0.0.1:${servers[0]!.port}/api/v1/hosts`, { headers: { Authorization: `Bearer ${token}` } });
      expect(blocked.status).toBe(429);
    } finally {
      for (const server of servers) server.stop(true);
    }
  });
});

describe("FailedAuthLimiter", () => {
  test("memory stays bounded: at most maxClients clients, and expired ones are swept", () => {
    const clock = { now: 0 };
    const limiter = new FailedAuthLimiter({ maxClients: 100, now: () => clock.now });
    for (let i = 0; i < 1000; i++) {
      limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
      limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    // The most recent failing client is kept, its failures counted.
    expect(limiter.size).toBe(100);
    clock.now += 60_000;
    limiter.recordFailure("192.0.2.1");
    expect(limiter.size).toBe(1);
  });

  test("IPv6 clients are counted by their /64, IPv4-mapped ones by their IPv4 address", () => {
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0db8:0001:0002:ffff:0:0:9")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(clientKey("192.0.2.7")).toBe("192.0.2.7");
    expect(clientKey("unknown")).toBe("unknown");
  });
});
