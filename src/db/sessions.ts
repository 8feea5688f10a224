import type { UserInfo } from "./users.ts";

/** Web UI sessions' storage: kept by the server, found by the SHA-256 of the browser's token. */

export interface NewSession {
  /** The token's hash: the token itself lives only in the browser's cookie. */
  id: string;
  userId: number;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** A stored session with its user, as every request of a logged-in browser reads it. */
export interface SessionRecord {
  id: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  user: UserInfo;
}

export interface SessionRepository {
  insert(session: NewSession): void;
  /** The session with this hash and its user, or undefined. On every page request: fast. */
  byId(id: string): SessionRecord | undefined;
  /** Records that the session was used at `at` (Unix ms). */
  touch(id: string, at: number): void;
  /** Ends one session; whether it existed. */
  delete(id: string): boolean;
  /** Ends every session of a user (disabled, or a new password); how many. */
  deleteForUser(userId: number): number;
  /** Removes sessions that expired before `now`, however they ended: absolute expiry, or idle since `idleBefore`. */
  deleteExpired(now: number, idleBefore: number): number;
}
