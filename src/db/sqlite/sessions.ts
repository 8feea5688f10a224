import type { Database, Statement } from "bun:sqlite";
import type { NewSession, SessionRecord, SessionRepository } from "../sessions.ts";
import type { UserRole } from "../users.ts";

type SessionRow = [id: string, csrf: string, created: number, lastSeen: number, expires: number, userId: number, name: string, role: UserRole, userCreated: number, passwordChanged: number, disabled: number | null];

export class SqliteSessionRepository implements SessionRepository {
  /** Prepared once: every page request of a logged-in browser reads its session. */
  private readonly byIdStatement: Statement<SessionRow, [string]>;

  constructor(private readonly sqlite: Database) {
    this.byIdStatement = sqlite.prepare(
      `SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, u.id, u.name, u.role, u.created_at, u.password_changed_at, u.disabled_at
       FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = ?`,
    );
  }

  insert(session: NewSession): void {
    this.sqlite
      .query("INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(session.id, session.userId, session.csrfToken, session.createdAt, session.createdAt, session.expiresAt);
  }

  byId(id: string): SessionRecord | undefined {
    const row = this.byIdStatement.values(id)[0] as SessionRow | undefined;
    if (!row) return undefined;
    const [sessionId, csrfToken, createdAt, lastSeenAt, expiresAt, userId, name, role, userCreated, passwordChanged, disabled] = row;
    return {
      id: sessionId,
      csrfToken,
      createdAt,
      lastSeenAt,
      expiresAt,
      user: { id: userId, name, role, createdAt: new Date(userCreated), passwordChangedAt: new Date(passwordChanged), disabledAt: disabled === null ? null : new Date(disabled) },
    };
  }

  touch(id: string, at: number): void {
    this.sqlite.query("UPDATE sessions SET last_seen_at = ? WHERE id = ?").run(at, id);
  }

  delete(id: string): boolean {
    return this.sqlite.query("DELETE FROM sessions WHERE id = ?").run(id).changes > 0;
  }

  deleteForUser(userId: number): number {
    return this.sqlite.query("DELETE FROM sessions WHERE user_id = ?").run(userId).changes;
  }

  deleteExpired(now: number, idleBefore: number): number {
    return this.sqlite.query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?").run(now, idleBefore).changes;
  }
}
