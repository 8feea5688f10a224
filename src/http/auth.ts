import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Scope, TokenInfo, TokenStore } from "../auth/tokens.ts";
import { scopeAllows } from "../auth/tokens.ts";
import { errorBody } from "./errors.ts";
import type { FailedAuthLimiter } from "./failed-auth-limiter.ts";

/** What `authenticate` leaves on the context for the routes after it: `c.get("token")`. */
export type AuthVariables = { token: TokenInfo };
/** The Hono environment of authenticated routes: `new Hono<AuthEnv>()`. */
export type AuthEnv = { Variables: AuthVariables };

/** One answer for unknown, malformed and revoked tokens alike: the client learns nothing about which. */
const INVALID_TOKEN = "invalid or revoked API token";

function unauthorized(c: Context, message: string, challenge: string) {
  c.header("WWW-Authenticate", challenge);
  return c.json(errorBody("unauthorized", message), 401);
}

/**
 * Requires `Authorization: Bearer <token>` with a live token and puts its info on the context.
 * Missing or non-Bearer credentials: 401. A Bearer token that is not valid: 401, counted as a failure
 * of the client. A client with too many recent failures: 429 with Retry-After, whatever it sends.
 * The presented token never appears in an answer or a log line.
 */
export function authenticate(tokens: TokenStore, limiter: FailedAuthLimiter) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const retryAfter = limiter.retryAfterFor(c);
    if (retryAfter > 0) {
      c.header("Retry-After", String(retryAfter));
      return c.json(
        errorBody("rate_limited", `too many failed authentication attempts from this address; try again in ${retryAfter} s`, { retry_after_seconds: retryAfter }),
        429,
      );
    }
    const header = c.req.header("authorization");
    if (!header) return unauthorized(c, "this API needs a token: send the header `Authorization: Bearer <token>` (see `syncer token create`)", "Bearer");
    // The scheme is case-insensitive (RFC 9110); the token is everything after it.
    const [scheme = "", ...rest] = header.trim().split(/\s+/);
    if (scheme.toLowerCase() !== "bearer") return unauthorized(c, "the Authorization header must use the Bearer scheme: `Authorization: Bearer <token>`", "Bearer");
    const info = tokens.verify(rest.join(" "));
    if (!info) {
      limiter.recordFailure(limiter.clientOf(c));
      return unauthorized(c, INVALID_TOKEN, 'Bearer error="invalid_token"');
    }
    c.set("token", info);
    await next();
  });
}

/** Lets the request through only when its token (set by `authenticate`) grants `scope` or one implying it; else 403. */
export function requireScope(scope: Scope) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = c.get("token") as TokenInfo | undefined;
    // A route wired without authenticate before it is a bug, not a client error: onError answers 500.
    if (!token) throw new Error(`requireScope('${scope}') runs without authenticate before it`);
    if (!scopeAllows(token.scopes, scope)) {
      return c.json(errorBody("forbidden", `the token '${token.name}' lacks the scope '${scope}' this request needs`, { needed: scope, token: token.name, scopes: token.scopes }), 403);
    }
    await next();
  });
}
