import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { apiApp, type ApiApp } from "../helpers/api-app.ts";
import { buildFixturePlugins } from "../helpers/plugins.ts";

/**
 * A plugin endpoint's answer that breaks the ABI is the plugin's mistake: 502 `abi`, never a 500. The
 * testkit's /raw endpoint answers with whatever body it is sent, so each malformed answer is exact.
 */

let app: ApiApp;

beforeAll(() => {
  buildFixturePlugins();
  app = apiApp("");
}, 120_000);
afterAll(() => app.close());

/** The answer the plugin gives, as the JSON text it outputs. */
const answered = (answer: unknown) => app.request("/api/v1/plugins/testkit/raw", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(answer) });

describe("plugin endpoint answers", () => {
  test("a well-formed answer comes back as the plugin gave it", async () => {
    const { status, body, headers } = await answered({ status: 202, headers: { "x-ok": "yes\tand a tab", "x-latin": "café" }, body: { fine: true } });
    expect(status).toBe(202);
    expect(headers.get("x-ok")).toBe("yes\tand a tab");
    expect(body).toEqual({ fine: true });
  });

  test.each([
    ["a header value with CR LF", { status: 200, headers: { "x-injected": "a\r\nset-cookie: b=c" } }, "headers.x-injected"],
    ["a header value with a lone LF", { status: 200, headers: { "x-injected": "a\nb" } }, "headers.x-injected"],
    ["a header value with NUL", { status: 200, headers: { "x-nul": "a\u0000b" } }, "headers.x-nul"],
    ["a header value beyond Latin-1", { status: 200, headers: { "x-euro": "5 €" } }, "headers.x-euro"],
    ["a header name with a space", { status: 200, headers: { "x bad": "a" } }, "headers"],
    ["an empty header name", { status: 200, headers: { "": "a" } }, "headers"],
    ["status 99", { status: 99 }, "status"],
    ["status 1000", { status: 1000 }, "status"],
    ["status 150", { status: 150 }, "status"],
    ["a fractional status", { status: 200.5 }, "status"],
    ["a body with 204", { status: 204, body: "x" }, "body"],
    ["a body with 304", { status: 304, body: { a: 1 } }, "body"],
    ["headers as an array", { status: 200, headers: ["x"] }, "headers"],
  ])("%s is 502 abi naming the field, not 500", async (_what, answer, field) => {
    const { status, body } = await answered(answer);
    expect(status).toBe(502);
    expect(body.error.kind).toBe("abi");
    expect(body.error.message).toContain(`plugin testkit endpoint endpoint_raw answered something that is not {status, headers, body}: ${field}`);
  });

  test("a 204 without a body is fine", async () => {
    const { status, body } = await answered({ status: 204 });
    expect(status).toBe(204);
    expect(body).toBe("");
  });
});
