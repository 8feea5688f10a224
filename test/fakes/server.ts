/**
 * The HTTP side every fake shares: a server on loopback that finds each request's operation in the contract,
 * counts requests per method and path template, applies injected faults, checks the request against the contract
 * (an off-contract request is answered as the real system would and recorded as a violation), hands a clean one to
 * the system's handler, and checks the handler's answer against the contract too (an off-contract answer is a bug
 * in the fake, recorded the same way). `close()` throws when anything was recorded, so a test that made an
 * off-contract request fails even if it never looked.
 */
import type { CheckedRequest, ContractChecker, IncomingRequest, Problem } from "./contract/checker.ts";
import type { Route } from "./contract/routes.ts";

export interface Answer {
  status: number;
  /** Serialised as JSON; no body when undefined. */
  body?: unknown;
  /**
   * The body's JSON text as UTF-8 when the system has it already (what serializing `body` writes): sent as it is,
   * copied into the response as it is made, so the system may write over it once its handler has returned.
   */
  json?: Uint8Array;
  /** Defaults to application/json when there is a body. */
  mediaType?: string;
  headers?: Record<string, string>;
}

/** What a fake system plugs into the server. */
export interface FakeSystem<Caller> {
  /** Prefix of every API path, e.g. `/mysite/check_mk/api/1.0`; "" when the contract's paths are absolute. */
  readonly basePath: string;
  readonly checker: ContractChecker;
  /** The caller, or the answer the real system gives an unauthenticated or unauthorised request. */
  authenticate(request: IncomingRequest, route: Route): { caller: Caller } | { refused: Answer };
  /** How the system refuses every credential (the `refuseAuth` fault). */
  refusedAnswer(): Answer;
  /** How the real system answers a request the contract does not allow. */
  problemAnswer(route: Route, problems: Problem[], request: IncomingRequest): Answer;
  unknownPathAnswer(path: string): Answer;
  methodNotAllowedAnswer(allowed: string[]): Answer;
  serverErrorAnswer(status: number): Answer;
  handle(request: CheckedRequest, caller: Caller, context: RequestContext): Answer | Promise<Answer>;
  /** Rules the real system enforces beyond the contract (Checkmk's Accept header), recorded like the contract's. */
  extraProblems?(route: Route, request: IncomingRequest): Problem[];
  /** Headers the real system puts on every answer. */
  readonly commonHeaders?: Record<string, string>;
  /** The answer's body as the real system writes it; JSON.stringify when absent. */
  serialize?(body: unknown): string;
}

export interface RequestContext {
  /** `http://127.0.0.1:<port>`: links in answers are absolute, as the real systems write them. */
  origin: string;
  incoming: IncomingRequest;
}

export interface Violation {
  /**
   * `request`: the client broke the contract; `answer`: the fake did (a bug in the fake); `unimplemented`: the
   * contract allows the request but the fake cannot answer it faithfully yet (extend the fake).
   */
  side: "request" | "answer" | "unimplemented";
  /** `POST /domain-types/host_config/actions/bulk-create/invoke`, or the raw path when no operation matched. */
  operation: string;
  problems: Problem[];
}

/** Thrown by a handler for a request the contract allows but the fake does not model: answered 501, recorded. */
export class FakeGap extends Error {}

/** Holds requests to one operation until released: slow answers by explicit signal, never by a timer. */
export class Gate {
  private opened = false;
  private readonly waiters: (() => void)[] = [];
  private notifyArrival!: () => void;
  /** Resolves when the first request is held. */
  readonly arrived = new Promise<void>((resolve) => (this.notifyArrival = resolve));

  get waiting(): number {
    return this.waiters.length;
  }

  /** Lets every held request go on, and every later one pass. */
  release(): void {
    this.opened = true;
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  pass(): Promise<void> {
    if (this.opened) return Promise.resolve();
    this.notifyArrival();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface FailureRule {
  key: string;
  /** Requests to the operation still to pass before the failing ones. */
  before: number;
  times: number;
  status: number;
}

export class FakeServer<Caller> {
  readonly violations: Violation[] = [];
  private readonly counts = new Map<string, number>();
  private readonly failures: FailureRule[] = [];
  private readonly gates = new Map<string, Gate>();
  private authRefused = false;
  /** Answer checks run after the answer is sent, so that a client's own work overlaps them; see settled(). */
  private readonly pendingChecks: Promise<void>[] = [];
  private server: ReturnType<typeof Bun.serve> | undefined;

  constructor(private readonly system: FakeSystem<Caller>) {}

  /** The contract the requests and answers are checked against. */
  get checker(): ContractChecker {
    return this.system.checker;
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (request) => this.answer(request) });
    return this;
  }

  /** `http://127.0.0.1:<port>` */
  get origin(): string {
    if (!this.server) throw new Error("the fake is not started");
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** Requests per `METHOD template` (or `METHOD path` when no operation matched), in arrival order of first use. */
  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** The counts as lines for a bench's output, most requested first: `   334  POST /domain-types/…`. */
  countsReport(): string {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => `${String(count).padStart(8)}  ${key}`)
      .join("\n");
  }

  requestCount(method?: string, template?: string): number {
    if (method && template) return this.counts.get(`${method.toUpperCase()} ${template}`) ?? 0;
    let total = 0;
    for (const [key, count] of this.counts) if (!method || key.startsWith(`${method.toUpperCase()} `)) total += count;
    return total;
  }

  /** Requests that may change state (anything but GET/HEAD/OPTIONS). */
  writeCount(): number {
    let total = 0;
    for (const [key, count] of this.counts) if (!/^(GET|HEAD|OPTIONS) /.test(key)) total += count;
    return total;
  }

  resetCounts(): void {
    this.counts.clear();
  }

  /** The `nth` next request (1 = the next one) to `method template` and the `times - 1` after it answer `status`. */
  failNth(method: string, template: string, nth: number, options: { status?: number; times?: number } = {}): void {
    this.failures.push({ key: `${method.toUpperCase()} ${template}`, before: nth - 1, times: options.times ?? 1, status: options.status ?? 500 });
  }

  /** Every request is refused as bad credentials until called again with false. */
  refuseAuth(refused = true): void {
    this.authRefused = refused;
  }

  /** Holds requests to `method template` until the gate is released. */
  hold(method: string, template: string): Gate {
    const gate = new Gate();
    this.gates.set(`${method.toUpperCase()} ${template}`, gate);
    return gate;
  }

  /** Resolves once every answer sent so far has been checked against the contract. */
  async settled(): Promise<void> {
    while (this.pendingChecks.length > 0) await Promise.all(this.pendingChecks.splice(0));
  }

  /** The violations recorded so far, forgotten: for a test that made off-contract requests on purpose. */
  async takeViolations(): Promise<Violation[]> {
    await this.settled();
    return this.violations.splice(0);
  }

  async assertNoViolations(): Promise<void> {
    await this.settled();
    if (this.violations.length === 0) return;
    const lines = this.violations.slice(0, 20).flatMap((violation) =>
      violation.problems.map((problem) => `  ${violation.side === "answer" ? "the fake answered " : violation.side === "unimplemented" ? "not in the fake: " : ""}${violation.operation}: ${problem.in}${problem.at ? ` ${problem.at}` : ""} ${problem.message}`),
    );
    const more = this.violations.length > 20 ? `\n  … and ${this.violations.length - 20} more` : "";
    throw new Error(`${this.violations.length} request(s) or answer(s) off the contract:\n${lines.join("\n")}${more}`);
  }

  /** Stops the server; throws when violations were recorded and not taken. */
  async close(): Promise<void> {
    for (const gate of this.gates.values()) gate.release();
    await this.server?.stop(true);
    this.server = undefined;
    await this.assertNoViolations();
  }

  private async answer(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const incoming: IncomingRequest = { method: request.method, path: url.pathname.slice(this.system.basePath.length), query: url.searchParams, headers: request.headers, body: await request.text() };
    if (!url.pathname.startsWith(`${this.system.basePath}/`)) return this.unmatched(incoming, url.pathname, this.system.unknownPathAnswer(url.pathname));
    const match = this.system.checker.match(request.method, incoming.path);
    if (match.kind === "no-path") return this.unmatched(incoming, url.pathname, this.system.unknownPathAnswer(url.pathname));
    if (match.kind === "no-method") return this.unmatched(incoming, url.pathname, this.system.methodNotAllowedAnswer(match.allowed));
    const { route } = match;
    const key = `${route.method.toUpperCase()} ${route.template}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);

    const finish = (answer: Answer): Response => this.respond(route, key, answer);
    if (this.authRefused) return finish(this.system.refusedAnswer());
    const auth = this.system.authenticate(incoming, route);
    if ("refused" in auth) return finish(auth.refused);
    const failure = this.failures.find((rule) => rule.key === key && rule.times > 0);
    if (failure) {
      if (failure.before > 0) failure.before--;
      else {
        failure.times--;
        return finish(this.system.serverErrorAnswer(failure.status));
      }
    }
    await this.gates.get(key)?.pass();

    const checked = this.system.checker.checkRequest(route, match.pathParams, incoming);
    checked.problems.push(...(this.system.extraProblems?.(route, incoming) ?? []));
    if (checked.problems.length > 0) {
      this.violations.push({ side: "request", operation: key, problems: checked.problems });
      return finish(this.system.problemAnswer(route, checked.problems, incoming));
    }
    try {
      return finish(await this.system.handle(checked, auth.caller, { origin: url.origin, incoming }));
    } catch (error) {
      if (!(error instanceof FakeGap)) throw error;
      this.violations.push({ side: "unimplemented", operation: key, problems: [{ in: "body", at: "", message: `the fake does not implement ${error.message}` }] });
      return this.toResponse({ status: 501, body: { title: "Not Implemented", status: 501, detail: `The fake does not implement ${error.message}.` } });
    }
  }

  private unmatched(incoming: IncomingRequest, path: string, answer: Answer): Response {
    const key = `${incoming.method} ${path}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.violations.push({ side: "request", operation: key, problems: [{ in: "path", at: "", message: "is not an operation of the contract" }] });
    return this.toResponse(answer);
  }

  private respond(route: Route, key: string, answer: Answer): Response {
    const response = this.toResponse(answer);
    // Error answers the contract does not document (NetBox documents none) are the real system's, not the fake's.
    if (answer.status < 400 || route.operation.responses[String(answer.status)]) {
      const headers = new Headers(response.headers);
      this.pendingChecks.push(
        new Promise((resolve) =>
          setImmediate(() => {
            const problems = this.system.checker.checkAnswer(route, { status: answer.status, headers, body: answer.body });
            if (problems.length > 0) this.violations.push({ side: "answer", operation: key, problems });
            resolve();
          }),
        ),
      );
    }
    return response;
  }

  private toResponse(answer: Answer): Response {
    const headers = new Headers({ ...this.system.commonHeaders, ...answer.headers });
    if (answer.body === undefined) return new Response(null, { status: answer.status, headers });
    headers.set("content-type", answer.mediaType ?? "application/json");
    return new Response(answer.json ?? (this.system.serialize ? this.system.serialize(answer.body) : JSON.stringify(answer.body)), { status: answer.status, headers });
  }
}
