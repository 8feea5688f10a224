/**
 * The daemon's HTTP application with its web UI, in-process over real services (config, migrated
 * database, plugin runtime, users and sessions), driven with app.request, plus a small browser: a cookie
 * jar, form posts that carry the page's CSRF token, and a clock the sessions read.
 */
import { readFileSync } from "node:fs";
import { SessionStore } from "../../src/auth/sessions.ts";
import { TokenStore } from "../../src/auth/tokens.ts";
import { UserStore } from "../../src/auth/users.ts";
import { DaemonServices } from "../../src/app/services.ts";
import { Metrics } from "../../src/app/metrics.ts";
import { parseConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/core/logger.ts";
import { openSqliteStorage, type SqliteStorage } from "../../src/db/sqlite/storage.ts";
import { createApp } from "../../src/http/app.ts";
import { authenticate, requireScope } from "../../src/http/auth.ts";
import { FailedAuthLimiter } from "../../src/http/failed-auth-limiter.ts";
import { bindSetup } from "../../src/plugins/setup.ts";
import { tempDir, writeConfig } from "./binary.ts";
import { readRows } from "./database.ts";
import { FIXTURE_PLUGINS } from "./plugins.ts";

export const ORIGIN = "http://syncer.test";
export const PASSWORD = "correct horse battery staple";
/** argon2id at its least cost: the tests log in hundreds of times; the daemon uses Bun's defaults. */
export const TEST_PASSWORD_COST = { memoryCost: 1024, timeCost: 1 };

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

export interface UiApp {
  dir: string;
  storage: SqliteStorage;
  services: DaemonServices;
  users: UserStore;
  /** The sessions' clock, in Unix ms; tests move it. */
  clock: { now: number };
  /** A browser of its own: cookies kept between its requests. */
  browser(): UiBrowser;
  /** Rows of the database, through a separate connection. */
  query<T = Record<string, unknown>>(sql: string): T[];
  close(): void;
}

export interface UiBrowser {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  /** Posts a form as a browser on this site would (Origin and Sec-Fetch-Site say so); `fields` as given, nothing added. */
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Answer>;
  /** Logs in through the form; the answer of the POST. */
  login(username: string, password?: string): Promise<Answer>;
  /** The CSRF token of the session's forms, read from a page as the browser sees it. */
  csrf(): Promise<string>;
}

/** The value of the hidden input `name` in `html`. */
export function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

/** `extra`: TOML appended to a config whose plugin directories include the fixtures; `env`: what its secret references read. */
export function uiApp(extra = "", env: Record<string, string> = {}): UiApp {
  const dir = tempDir("syncer-ui-");
  const config = writeConfig(dir, `[server]\ndata_dir = "data"\n[plugins]\ndirectories = [${JSON.stringify(FIXTURE_PLUGINS)}]\n${extra}`);
  const setup = bindSetup(parseConfig(readFileSync(config, "utf8"), config, env), env);
  const storage = openSqliteStorage(setup.config.paths.database);
  storage.migrations.apply();
  const log = createLogger({ level: "error", format: "text", write: () => {} });
  const metrics = new Metrics(storage.stats);
  const services = new DaemonServices(setup, storage, log, metrics);
  const clock = { now: Date.now() };
  const users = new UserStore(storage, () => clock.now, TEST_PASSWORD_COST);
  const limiter = new FailedAuthLimiter({ now: () => clock.now });
  const lifetime = () => ({ idleMs: services.setup().config.ui.session_idle_minutes * 60_000, maxMs: services.setup().config.ui.session_max_hours * 3_600_000 });
  const app = createApp({
    log,
    health: () => ({ database: true }),
    api: { services, auth: { authenticate: authenticate(new TokenStore(storage), limiter), requireScope }, metrics, maxBodyBytes: 1024 * 1024 },
    ui: { users, sessions: new SessionStore(storage, lifetime, () => clock.now), limiter },
  });

  const browser = (): UiBrowser => {
    const cookies = new Map<string, string>();
    const send = async (path: string, init: RequestInit): Promise<Answer> => {
      const headers = new Headers(init.headers);
      if (cookies.size) headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
      const response = await app.request(`${ORIGIN}${path}`, { ...init, headers });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const at = pair.indexOf("=");
        const name = pair.slice(0, at);
        const value = pair.slice(at + 1);
        if (value === "" || /max-age=0/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
      return { status: response.status, text: await response.text(), headers: response.headers };
    };
    const self: UiBrowser = {
      cookies,
      get: (path, headers = {}) => send(path, { headers: { accept: "text/html", ...headers } }),
      post: (path, fields, headers = {}) =>
        send(path, { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, "sec-fetch-site": "same-origin", ...headers } }),
      async login(username, password = PASSWORD) {
        const form = await self.get("/login");
        return self.post("/login", { _login: hiddenField(form.text, "_login") ?? "", next: "/", username, password });
      },
      async csrf() {
        const page = await self.get("/hosts");
        const token = hiddenField(page.text, "_csrf");
        if (!token) throw new Error(`no CSRF token on /hosts (status ${page.status})`);
        return token;
      },
    };
    return self;
  };

  return {
    dir,
    storage,
    services,
    users,
    clock,
    browser,
    query: <T>(sql: string) => readRows<T>(setup.config.paths.database, sql),
    close() {
      services.jobs.stop();
      services.close();
      storage.close();
    },
  };
}
