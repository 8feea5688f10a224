import { timingSafeEqual } from "node:crypto";
import type { Storage } from "../db/storage.ts";
import type { UserInfo } from "../db/users.ts";
import { ROLE_SCOPES } from "./users.ts";
import type { Scope } from "./tokens.ts";

/** How long sessions last: unused for `idleMs`, or `maxMs` after the login, a session has ended. */
export interface SessionLifetime {
  idleMs: number;
  maxMs: number;
}

/** A session in use: who, what they may do, and the token their forms carry. */
export interface Session {
  /** The stored session's id (the token's hash), never the token. */
  id: string;
  user: UserInfo;
  scopes: readonly Scope[];
  csrfToken: string;
  expiresAt: number;
}

/** last_seen_at is written at most this often per session, not on every page. */
export const TOUCH_INTERVAL_MS = 60_000;

/** 32 bytes from the system's CSPRNG, base64url: a cookie-safe token. */
const randomToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
const hashOf = (token: string) => Bun.SHA256.hash(token, "hex");
/** Anything else in a cookie is not one of our tokens: refused without a lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Whether a form's token is the session's, in constant time. */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (typeof presented !== "string") return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Web UI sessions, held by the server: the browser keeps a random token in a cookie, the database keeps
 * its SHA-256 with the user and the session's CSRF token. A session ends at logout (deleted), when unused
 * for the idle time, at its maximum age, or when its user is disabled or given a new password.
 */
export class SessionStore {
  constructor(
    private readonly storage: Pick<Storage, "sessions">,
    private readonly lifetime: () => SessionLifetime,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session for `user`; the returned token goes into the cookie and is kept nowhere else. */
  start(user: UserInfo): { token: string; session: Session } {
    const now = this.now();
    const { idleMs, maxMs } = this.lifetime();
    // Ended sessions are cleared as new ones begin: the table stays as small as the sessions in use.
    this.storage.sessions.deleteExpired(now, now - idleMs);
    const token = randomToken();
    const session = { id: hashOf(token), user, scopes: ROLE_SCOPES[user.role], csrfToken: randomToken(), expiresAt: now + maxMs };
    this.storage.sessions.insert({ id: session.id, userId: user.id, csrfToken: session.csrfToken, createdAt: now, expiresAt: session.expiresAt });
    return { token, session };
  }

  /** The session the cookie's token belongs to, while it lasts; an ended one is deleted and answers undefined. */
  resume(token: string | undefined): Session | undefined {
    if (!token || !TOKEN_SHAPE.test(token)) return undefined;
    const id = hashOf(token);
    const stored = this.storage.sessions.byId(id);
    if (!stored) return undefined;
    const now = this.now();
    const { idleMs } = this.lifetime();
    if (stored.expiresAt <= now || stored.lastSeenAt + idleMs <= now || stored.user.disabledAt !== null) {
      this.storage.sessions.delete(id);
      return undefined;
    }
    if (now - stored.lastSeenAt >= TOUCH_INTERVAL_MS) this.storage.sessions.touch(id, now);
    return { id, user: stored.user, scopes: ROLE_SCOPES[stored.user.role], csrfToken: stored.csrfToken, expiresAt: stored.expiresAt };
  }

  /** Ends the session (logout): it is gone from the server, whatever the browser still holds. */
  end(session: Session): void {
    this.storage.sessions.delete(session.id);
  }
}
