import { afterAll, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { registerSecret } from "../../src/core/redact.ts";
import { hostAllowed, performHttp, type HttpPolicy, type HttpResult } from "../../src/plugins/host/http-client.ts";

// Hits per path on each server, so a test can prove a request was (not) sent.
const hits = new Map<string, number>();
const seen: { method: string; body: string; authorization: string | null; cookie: string | null; apiKey: string | null }[] = [];
const count = (key: string) => hits.set(key, (hits.get(key) ?? 0) + 1);
let flaky = 0;

const main = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    count(`main${url.pathname}`);
    seen.push({ method: req.method, body: await req.text(), authorization: req.headers.get("authorization"), cookie: req.headers.get("cookie"), apiKey: req.headers.get("x-api-key") });
    switch (url.pathname) {
      case "/hello":
        return new Response("hello", { status: 201, headers: { "X-Custom": "Yes", "Content-Type": "text/plain" } });
      case "/to-other":
        return new Response(null, { status: 302, headers: { location: `http://localhost:${other.port}/echo` } });
      case "/to-hello":
        return new Response(null, { status: 301, headers: { location: "/hello" } });
      case "/loop":
        return new Response(null, { status: 302, headers: { location: "/loop" } });
      case "/see-other":
        return new Response(null, { status: 303, headers: { location: "/echo" } });
      case "/temporary":
        return new Response(null, { status: 307, headers: { location: "/echo" } });
      case "/echo":
        return Response.json(seen.at(-1));
      case "/big":
        return new Response("x".repeat(5000));
      case "/endless":
        return new Response(
          new ReadableStream({
            async pull(controller) {
              await Bun.sleep(1);
              controller.enqueue(new Uint8Array(1024));
            },
          }),
        );
      case "/slow":
        await Bun.sleep(1000);
        return new Response("late");
      case "/stalled-body":
        return new Response(
          new ReadableStream({
            async start(controller) {
              controller.enqueue(new TextEncoder().encode("first bytes"));
              await Bun.sleep(1000);
              controller.close();
            },
          }),
        );
      case "/flaky":
        return ++flaky === 1 ? new Response("busy", { status: 503 }) : new Response("recovered");
      case "/unavailable":
        return new Response("down", { status: 503 });
      case "/binary":
        return new Response(new Uint8Array([0xff, 0xfe, 0x00, 0x80]));
      case "/bom":
        return new Response(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":"ü"}')]));
      case "/unicode":
        return new Response("Grüße 日本", { headers: { "content-type": "text/plain; charset=utf-8" } });
      default:
        return new Response("not found", { status: 404 });
    }
  },
});
// A second upstream under another host name: localhost is a different host from 127.0.0.1 to the allow-list.
const other = Bun.serve({
  hostname: "localhost",
  port: 0,
  fetch(req) {
    count(`other${new URL(req.url).pathname}`);
    return Response.json({ authorization: req.headers.get("authorization"), cookie: req.headers.get("cookie"), apiKey: req.headers.get("x-api-key") });
  },
});
afterAll(() => {
  main.stop(true);
  other.stop(true);
});
beforeEach(() => {
  hits.clear();
  seen.length = 0;
  flaky = 0;
});

const base = `http://127.0.0.1:${main.port}`;
const policy = (overrides: Partial<HttpPolicy> = {}): HttpPolicy => ({
  allowedHosts: ["127.0.0.1"],
  timeoutMs: 2000,
  maxResponseBytes: 1_000_000,
  maxRedirects: 5,
  retries: 2,
  verifyTls: true,
  dryRun: false,
  ...overrides,
});
function ok(result: HttpResult) {
  if (!result.ok) throw new Error(`expected success, got ${result.error.kind}: ${result.error.message}`);
  return result;
}
function failed(result: HttpResult) {
  if (result.ok) throw new Error(`expected a failure, got status ${result.status}`);
  return result.error;
}

describe("allow-list", () => {
  test("an allowed GET returns status, lower-cased headers, body, final url and attempts", async () => {
    const result = ok(await performHttp({ method: "get", url: `${base}/hello` }, policy()));
    expect(result.status).toBe(201);
    expect(result.headers["x-custom"]).toBe("Yes");
    expect(result.headers["content-type"]).toBe("text/plain");
    expect(result.body).toBe("hello");
    expect(result.body_base64).toBeUndefined();
    expect(result.url).toBe(`${base}/hello`);
    expect(result.attempts).toBe(1);
  });

  test("a disallowed host is a permission error naming it and the allow-list, and nothing is sent", async () => {
    const error = failed(await performHttp({ method: "GET", url: `http://localhost:${other.port}/x` }, policy({ allowedHosts: ["127.0.0.1", "*.example.com"] })));
    expect(error).toEqual({ kind: "permission", message: `HTTP to localhost:${other.port} is not allowed for this plugin (allowed: 127.0.0.1, *.example.com)` });
    expect(hits.size).toBe(0);
  });

  test("a redirect to a disallowed host is a permission error and the second server gets no request", async () => {
    const error = failed(await performHttp({ method: "GET", url: `${base}/to-other` }, policy()));
    expect(error.kind).toBe("permission");
    expect(error.message).toContain(`HTTP to localhost:${other.port} is not allowed`);
    expect(hits.get("main/to-other")).toBe(1);
    expect(hits.get("other/echo")).toBeUndefined();
  });

  test("file:, data: and ftp: URLs are permission errors", async () => {
    for (const url of ["file:///etc/passwd", "data:text/plain,hi", "ftp://127.0.0.1/x"]) {
      expect(failed(await performHttp({ method: "GET", url }, policy())).kind).toBe("permission");
    }
  });

  test("a malformed URL is a runtime error naming the problem without echoing credentials", async () => {
    expect(failed(await performHttp({ method: "GET", url: "127.0.0.1/x" }, policy()))).toEqual({
      kind: "runtime",
      message: "malformed URL: no scheme (expected http:// or https://)",
    });
    const error = failed(await performHttp({ method: "GET", url: "http://user:hunter2@[bad/" }, policy()));
    expect(error.kind).toBe("runtime");
    expect(error.message).not.toContain("hunter2");
  });

  test("hostAllowed: case-insensitive names, ports must match when given, wildcards match subdomains only", () => {
    const allowed = ["NB.Example.com", "api.example.org:8443", "*.corp.example"];
    expect(hostAllowed(new URL("https://nb.example.COM/x"), allowed)).toBe(true);
    expect(hostAllowed(new URL("http://nb.example.com:9999/"), allowed)).toBe(true);
    expect(hostAllowed(new URL("https://api.example.org:8443/"), allowed)).toBe(true);
    expect(hostAllowed(new URL("https://api.example.org/"), allowed)).toBe(false);
    expect(hostAllowed(new URL("https://a.b.corp.example/"), allowed)).toBe(true);
    expect(hostAllowed(new URL("https://corp.example/"), allowed)).toBe(false);
    expect(hostAllowed(new URL("https://evilcorp.example/"), allowed)).toBe(false);
    expect(hostAllowed(new URL("https://nb.example.com.evil.test/"), allowed)).toBe(false);
    expect(hostAllowed(new URL("http://[::1]:8080/"), ["[::1]:8080"])).toBe(true);
    expect(hostAllowed(new URL("file:///etc/passwd"), ["*"])).toBe(false);
  });
});

describe("redirects", () => {
  test("a redirect within allowed hosts is followed and the final url reported", async () => {
    const result = ok(await performHttp({ method: "GET", url: `${base}/to-hello` }, policy()));
    expect(result.status).toBe(201);
    expect(result.body).toBe("hello");
    expect(result.url).toBe(`${base}/hello`);
  });

  test("a redirect loop ends in a connection error after maxRedirects hops", async () => {
    const error = failed(await performHttp({ method: "GET", url: `${base}/loop` }, policy({ maxRedirects: 3 })));
    expect(error).toEqual({ kind: "connection", message: `too many redirects (more than 3) from 127.0.0.1:${main.port}` });
    expect(hits.get("main/loop")).toBe(4);
  });

  test("303 turns a POST into a GET without body", async () => {
    const result = ok(await performHttp({ method: "POST", url: `${base}/see-other`, body: "payload", headers: { "content-type": "text/plain" } }, policy()));
    expect(JSON.parse(result.body)).toMatchObject({ method: "GET", body: "" });
    expect(seen[0]).toMatchObject({ method: "POST", body: "payload" });
  });

  test("307 keeps the method and the body", async () => {
    const result = ok(await performHttp({ method: "POST", url: `${base}/temporary`, body: "payload" }, policy()));
    expect(JSON.parse(result.body)).toMatchObject({ method: "POST", body: "payload" });
  });

  test("Authorization, Cookie and API-key headers are dropped when a redirect changes host, kept on the same host", async () => {
    const headers = { Authorization: "Bearer tok-123", Cookie: "session=abc", "X-Api-Key": "k-456" };
    const cross = ok(await performHttp({ method: "GET", url: `${base}/to-other`, headers }, policy({ allowedHosts: ["127.0.0.1", "localhost"] })));
    expect(cross.url).toBe(`http://localhost:${other.port}/echo`);
    expect(JSON.parse(cross.body)).toEqual({ authorization: null, cookie: null, apiKey: null });
    expect(seen[0]).toMatchObject({ authorization: "Bearer tok-123", cookie: "session=abc", apiKey: "k-456" });

    const same = ok(await performHttp({ method: "GET", url: `${base}/see-other`, headers }, policy()));
    expect(JSON.parse(same.body)).toMatchObject({ authorization: "Bearer tok-123", cookie: "session=abc", apiKey: "k-456" });
  });
});

describe("limits", () => {
  test("a body over the cap announced by Content-Length is a runtime error", async () => {
    expect(failed(await performHttp({ method: "GET", url: `${base}/big` }, policy({ maxResponseBytes: 1000 })))).toEqual({
      kind: "runtime",
      message: "response body over the limit of 1000 bytes",
    });
  });

  test("an endless chunked body is cut off at the cap instead of hanging", async () => {
    const started = Date.now();
    const error = failed(await performHttp({ method: "GET", url: `${base}/endless` }, policy({ maxResponseBytes: 10_000 })));
    expect(error).toEqual({ kind: "runtime", message: "response body over the limit of 10000 bytes" });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test("a server slower than timeoutMs is a timeout", async () => {
    const started = Date.now();
    const error = failed(await performHttp({ method: "GET", url: `${base}/slow` }, policy({ timeoutMs: 150, retries: 0 })));
    expect(error).toEqual({ kind: "timeout", message: `no answer from 127.0.0.1:${main.port} within 150 ms` });
    expect(Date.now() - started).toBeLessThan(800);
  });

  test("a GET that times out is retried and ends as a timeout once the retries are spent", async () => {
    const error = failed(await performHttp({ method: "GET", url: `${base}/slow` }, policy({ timeoutMs: 100, retries: 1 })));
    expect(error).toEqual({ kind: "timeout", message: `no answer from 127.0.0.1:${main.port} within 100 ms (after 2 attempts)` });
    expect(hits.get("main/slow")).toBe(2);
  });

  test("a POST that times out is not retried", async () => {
    const error = failed(await performHttp({ method: "POST", url: `${base}/slow`, body: "{}" }, policy({ timeoutMs: 100, retries: 2 })));
    expect(error.kind).toBe("timeout");
    expect(hits.get("main/slow")).toBe(1);
  });

  test("the timeout also covers a body that stalls after the headers", async () => {
    const error = failed(await performHttp({ method: "GET", url: `${base}/stalled-body` }, policy({ timeoutMs: 150, retries: 0 })));
    expect(error.kind).toBe("timeout");
  });
});

describe("bodies of a declared length", () => {
  // A raw server: it declares 100 bytes and sends 11, then stalls, or closes the connection.
  const sockets = new Set<{ end(): void }>();
  const raw = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        const close = data.toString().startsWith("GET /cut ");
        socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\nfirst bytes");
        if (close) socket.end();
        else sockets.add(socket);
      },
    },
  });
  afterAll(() => {
    for (const socket of sockets) socket.end();
    raw.stop(true);
  });
  const rawUrl = (path: string) => `http://127.0.0.1:${raw.port}${path}`;

  test("is read whole, as bytes or as text", async () => {
    expect(ok(await performHttp({ method: "GET", url: `${base}/big` }, policy())).body).toBe("x".repeat(5000));
    const bytes = ok(await performHttp({ method: "GET", url: `${base}/big` }, policy({ bodyBytes: true })));
    expect(new TextDecoder().decode(bytes.bytes)).toBe("x".repeat(5000));
  });

  test("that stalls before its length is a timeout", async () => {
    expect(failed(await performHttp({ method: "GET", url: rawUrl("/stall") }, policy({ timeoutMs: 150, retries: 0 }))).kind).toBe("timeout");
  });

  test("cut short by the server is a connection error saying so", async () => {
    const error = failed(await performHttp({ method: "GET", url: rawUrl("/cut") }, policy({ retries: 0 })));
    expect(error.kind).toBe("connection");
    expect(error.message).toContain("the response body was cut off");
  });
});

describe("retries", () => {
  test("a GET is retried after a 503 and then succeeds (attempts === 2)", async () => {
    const result = ok(await performHttp({ method: "GET", url: `${base}/flaky` }, policy()));
    expect(result).toMatchObject({ status: 200, body: "recovered", attempts: 2 });
  });

  test("a GET that keeps getting 503 returns the 503 as a result after the retries", async () => {
    const result = ok(await performHttp({ method: "GET", url: `${base}/unavailable` }, policy({ retries: 1 })));
    expect(result).toMatchObject({ status: 503, body: "down", attempts: 2 });
  });

  test("a POST is not retried after a 503: the server is hit once and the 503 returned", async () => {
    const result = ok(await performHttp({ method: "POST", url: `${base}/flaky`, body: "{}" }, policy()));
    expect(result).toMatchObject({ status: 503, attempts: 1 });
    expect(hits.get("main/flaky")).toBe(1);
  });

  test("a POST is retried when the connection is refused, then fails as a connection error with attempts counted", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const lines: string[] = [];
    const error = failed(await performHttp({ method: "POST", url: `http://127.0.0.1:${port}/`, body: "{}" }, policy({ log: (line) => lines.push(line) })));
    expect(error).toEqual({ kind: "connection", message: `cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED) (after 3 attempts)` });
    expect(lines.filter((line) => line.includes("ECONNREFUSED"))).toHaveLength(3);
    expect(lines[2]).toContain("attempt 3");
  });
});

describe("bodies, dry run, logging, TLS", () => {
  test("a dry-run POST is answered with a fake 200 and never sent", async () => {
    const result = ok(await performHttp({ method: "POST", url: `${base}/echo`, body: "x" }, policy({ dryRun: true })));
    expect(result).toEqual({ ok: true, status: 200, headers: {}, body: '{"dry_run":true}', url: `${base}/echo`, attempts: 0 });
    expect(hits.size).toBe(0);
    // GET still goes through in a dry run.
    expect(ok(await performHttp({ method: "GET", url: `${base}/hello` }, policy({ dryRun: true }))).body).toBe("hello");
  });

  test("a non-UTF-8 body comes back as body_base64", async () => {
    const result = ok(await performHttp({ method: "GET", url: `${base}/binary` }, policy()));
    expect(result.body).toBe("");
    expect(result.body_base64).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString("base64"));
  });

  test("a body asked for as bytes is what decoding it as text and encoding that again gives: a UTF-8 BOM dropped, other bytes exactly", async () => {
    for (const path of ["/unicode", "/bom", "/binary"]) {
      const text = ok(await performHttp({ method: "GET", url: `${base}${path}` }, policy()));
      const bytes = ok(await performHttp({ method: "GET", url: `${base}${path}` }, policy({ bodyBytes: true })));
      expect(bytes.body).toBe("");
      expect(bytes.body_base64).toBeUndefined();
      expect(Buffer.from(bytes.bytes!)).toEqual(text.body_base64 ? Buffer.from(text.body_base64, "base64") : Buffer.from(text.body));
    }
    expect(Buffer.from(ok(await performHttp({ method: "GET", url: `${base}/bom` }, policy({ bodyBytes: true }))).bytes!).toString()).toBe('{"a":"ü"}');
  });

  test("a non-ASCII UTF-8 body round-trips, and body_base64 is sent as bytes", async () => {
    expect(ok(await performHttp({ method: "GET", url: `${base}/unicode` }, policy())).body).toBe("Grüße 日本");
    const sent = ok(await performHttp({ method: "PUT", url: `${base}/echo`, body_base64: Buffer.from("Grüße 日本").toString("base64") }, policy()));
    expect(JSON.parse(sent.body).body).toBe("Grüße 日本");
  });

  test("the log never contains a bearer token, an API key, a URL password or a registered secret", async () => {
    registerSecret("registered-secret-4711");
    const lines: string[] = [];
    await performHttp(
      {
        method: "GET",
        url: `http://admin:hunter2pass@127.0.0.1:${main.port}/to-hello?api_token=qtok-999&path=registered-secret-4711`,
        headers: { Authorization: "Bearer tok-secret-123", "X-Api-Key": "key-secret-456", Cookie: "sid=cookie-secret-789" },
      },
      policy({ log: (line) => lines.push(line) }),
    );
    expect(lines.length).toBe(2);
    const all = lines.join("\n");
    for (const secret of ["tok-secret-123", "key-secret-456", "cookie-secret-789", "hunter2pass", "admin", "qtok-999", "registered-secret-4711"]) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain("<redacted>");
  });

  test("verifyTls=false passes tls.rejectUnauthorized=false to fetch; verifyTls=true passes no tls option", async () => {
    const spy = spyOn(globalThis, "fetch").mockImplementation((async () => new Response("stub")) as unknown as typeof fetch);
    try {
      ok(await performHttp({ method: "GET", url: "https://127.0.0.1:1/" }, policy({ verifyTls: false })));
      ok(await performHttp({ method: "GET", url: "https://127.0.0.1:1/" }, policy({ verifyTls: true })));
      const inits = spy.mock.calls.map((call) => call[1] as { tls?: unknown; redirect?: string });
      expect(inits[0]).toMatchObject({ tls: { rejectUnauthorized: false }, redirect: "manual" });
      expect(inits[1]?.tls).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  test("hostile input never throws: bad method, bad header, GET with body, invalid base64", async () => {
    const cases = [
      { method: "CONNECT", url: `${base}/` },
      { method: "GET", url: `${base}/`, headers: { "X-Bad": "a\r\nInjected: 1" } },
      { method: "GET", url: `${base}/`, body: "x" },
      { method: "POST", url: `${base}/`, body_base64: "not base64!" },
      { method: "POST", url: `${base}/`, body: "a", body_base64: "YQ==" },
    ];
    for (const request of cases) expect(failed(await performHttp(request, policy())).kind).toBe("runtime");
    expect(hits.size).toBe(0);
  });
});
