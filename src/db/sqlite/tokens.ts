import type { Database, Statement } from "bun:sqlite";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../open.ts";
import { apiTokens } from "../schema.ts";
import type { NewToken, TokenInfo, TokenRepository } from "../tokens.ts";

type Row = typeof apiTokens.$inferSelect;

function infoOf(row: Row): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** The columns byHash reads, in order (raw, for the prepared statement). */
type VerifyRow = [id: number, name: string, prefix: string, scopes: string, createdAt: number, lastUsedAt: number | null, revokedAt: number | null];

export class SqliteTokenRepository implements TokenRepository {
  private readonly byHashStatement: Statement<VerifyRow, [string]>;
  private readonly touchStatement: Statement<never, [number, number]>;

  constructor(
    sqlite: Database,
    private readonly db: Db,
  ) {
    // Raw prepared statements for the hot path (every API request): no query building or row mapping.
    this.byHashStatement = sqlite.prepare<VerifyRow, [string]>("SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at FROM api_tokens WHERE hash = ?");
    this.touchStatement = sqlite.prepare<never, [number, number]>("UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
  }

  activeNamed(name: string): TokenInfo | undefined {
    const row = this.db.select().from(apiTokens).where(and(eq(apiTokens.name, name), isNull(apiTokens.revokedAt))).get();
    return row && infoOf(row);
  }

  insert(token: NewToken): TokenInfo {
    return infoOf(this.db.insert(apiTokens).values(token).returning().get());
  }

  list(): TokenInfo[] {
    return this.db.select().from(apiTokens).orderBy(asc(apiTokens.id)).all().map(infoOf);
  }

  matching(key: { id: number } | { name: string }): TokenInfo[] {
    return this.db
      .select()
      .from(apiTokens)
      .where("id" in key ? eq(apiTokens.id, key.id) : eq(apiTokens.name, key.name))
      .orderBy(asc(apiTokens.id))
      .all()
      .map(infoOf);
  }

  revoke(id: number, at: Date): TokenInfo {
    return infoOf(this.db.update(apiTokens).set({ revokedAt: at }).where(eq(apiTokens.id, id)).returning().get());
  }

  byHash(hash: string): TokenInfo | undefined {
    const row = this.byHashStatement.values(hash)[0] as VerifyRow | undefined;
    if (!row) return undefined;
    const [id, name, prefix, scopes, createdAt, lastUsedAt, revokedAt] = row;
    return {
      id,
      name,
      prefix,
      scopes: JSON.parse(scopes) as string[],
      createdAt: new Date(createdAt),
      lastUsedAt: lastUsedAt === null ? null : new Date(lastUsedAt),
      revokedAt: revokedAt === null ? null : new Date(revokedAt),
    };
  }

  touch(id: number, at: number): void {
    this.touchStatement.run(at, id);
  }
}
