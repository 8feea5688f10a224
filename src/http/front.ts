import type { Fetch, HttpFront } from "../app/daemon.ts";
import { SessionStore } from "../auth/sessions.ts";
import { UserStore } from "../auth/users.ts";
import { createApp } from "./app.ts";
import { authenticate, requireScope } from "./auth.ts";
import { FailedAuthLimiter } from "./failed-auth-limiter.ts";

/**
 * What the daemon's requests get: health alone while it starts, then the API behind the token check and
 * the web UI behind its login. Failed token checks and failed logins count against the same limit.
 */
export const httpFront: HttpFront = {
  starting: (log) => createApp({ log, health: () => ({ database: false }) }).fetch as Fetch,
  serving: ({ log, services, tokens, metrics, health, maxBodyBytes }) => {
    const limiter = new FailedAuthLimiter();
    const lifetime = () => {
      const { session_idle_minutes, session_max_hours } = services.setup().config.ui;
      return { idleMs: session_idle_minutes * 60_000, maxMs: session_max_hours * 3_600_000 };
    };
    return createApp({
      log,
      health,
      api: { services, auth: { authenticate: authenticate(tokens, limiter), requireScope }, metrics, maxBodyBytes },
      ui: { users: new UserStore(services.database), sessions: new SessionStore(services.database, lifetime), limiter },
    }).fetch as Fetch;
  },
};
