import type { Fetch, HttpFront } from "../app/daemon.ts";
import { createApp } from "./app.ts";
import { authenticate, requireScope } from "./auth.ts";
import { FailedAuthLimiter } from "./failed-auth-limiter.ts";

/** What the daemon's requests get: health alone while it starts, then the API behind the token check. */
export const httpFront: HttpFront = {
  starting: (log) => createApp({ log, health: () => ({ database: false }) }).fetch as Fetch,
  serving: ({ log, services, tokens, metrics, health, maxBodyBytes }) =>
    createApp({ log, health, api: { services, auth: { authenticate: authenticate(tokens, new FailedAuthLimiter()), requireScope }, metrics, maxBodyBytes } }).fetch as Fetch,
};
