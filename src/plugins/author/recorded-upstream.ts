import type { Exchange } from "./fixture.ts";

/**
 * The upstream of a fixture: a local HTTP server that expects the fixture's exchanges in order and
 * answers each with its recorded response. A request that is not the next one expected is answered
 * 599 and named in `problems`; so is an expected one never made. Recording (`forwardTo`): each request
 * is sent on to the real upstream and kept with its answer, so a fixture can be written from a real run.
 */
export class RecordedUpstream {
  readonly problems: string[] = [];
  /** In recording mode, what was exchanged with the real upstream. */
  readonly recorded: Exchange[] = [];
  private next = 0;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(
    private readonly exchanges: Exchange[],
    private readonly forwardTo?: string,
  ) {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => this.answer(request) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  private async answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname + url.search;
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    if (this.forwardTo) return this.forward(request, path, text);
    const expected = this.exchanges[this.next];
    const seen = `${request.method} ${path}`;
    if (!expected) return this.refuse(`unexpected request ${seen}: the fixture records ${this.exchanges.length} exchange(s), all made`);
    const wanted = `${expected.request.method} ${expected.request.path}`;
    if (seen !== wanted) return this.refuse(`request ${this.next + 1} was ${seen}, the fixture expects ${wanted}`);
    for (const [name, value] of Object.entries(expected.request.headers ?? {})) {
      const sent = request.headers.get(name);
      if (sent !== value) return this.refuse(`request ${this.next + 1} (${seen}) sent ${name}: ${sent === null ? "(none)" : clip(sent, 60)}, the fixture expects ${clip(value, 60)}`);
    }
    if (expected.request.body !== undefined && !sameBody(expected.request.body, text)) {
      return this.refuse(`request ${this.next + 1} (${seen}) sent the body ${clip(text)}, the fixture expects ${clip(typeof expected.request.body === "string" ? expected.request.body : JSON.stringify(expected.request.body))}`);
    }
    this.next++;
    return responseOf(expected.response);
  }

  private refuse(problem: string): Response {
    this.problems.push(problem);
    return new Response(`syncer plugins test: ${problem}`, { status: 599 });
  }

  /** Recording: the request sent on (its headers too: the account's credentials reach the real upstream, never the fixture). */
  private async forward(request: Request, path: string, text: string): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.delete("host");
    const answer = await fetch(new URL(path, this.forwardTo), { method: request.method, headers, body: text === "" ? undefined : text, redirect: "manual" });
    const body = await answer.text();
    const type = answer.headers.get("content-type") ?? "";
    const keptHeaders: Record<string, string> = {};
    for (const name of ["content-type", "etag", "location", "link"]) {
      const value = answer.headers.get(name);
      if (value !== null) keptHeaders[name] = value;
    }
    this.recorded.push({
      request: { method: request.method as Exchange["request"]["method"], path, ...(text === "" ? {} : { body: jsonOrText(text) }) },
      response: { status: answer.status, headers: keptHeaders, ...(body === "" ? {} : { body: type.includes("json") ? jsonOrText(body) : body }) },
    });
    return new Response(body, { status: answer.status, headers: answer.headers });
  }

  /** Stops the server; the exchanges the plugin never made become problems. */
  stop(): void {
    this.server.stop(true);
    if (!this.forwardTo && this.next < this.exchanges.length) {
      const missing = this.exchanges.slice(this.next).map((exchange) => `${exchange.request.method} ${exchange.request.path}`);
      this.problems.push(`the plugin did not make ${missing.length} recorded request(s): ${missing.join(", ")}`);
    }
  }
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sameBody(expected: unknown, text: string): boolean {
  if (typeof expected === "string") return expected === text;
  try {
    return Bun.deepEquals(JSON.parse(text), expected, true);
  } catch {
    return false;
  }
}

function responseOf(response: Exchange["response"]): Response {
  const headers = new Headers(response.headers);
  if (response.body === undefined) return new Response(null, { status: response.status, headers });
  if (typeof response.body === "string") {
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(response.body, { status: response.status, headers });
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(JSON.stringify(response.body), { status: response.status, headers });
}

export const clip = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max)}…` : text);
