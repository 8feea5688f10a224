import { asc, eq } from "drizzle-orm";
import type { Db } from "../open.ts";
import { users } from "../schema.ts";
import type { NewUser, UserInfo, UserRepository } from "../users.ts";

type Row = typeof users.$inferSelect;

export function userInfoOf(row: Pick<Row, "id" | "name" | "role" | "createdAt" | "passwordChangedAt" | "disabledAt">): UserInfo {
  return { id: row.id, name: row.name, role: row.role, createdAt: row.createdAt, passwordChangedAt: row.passwordChangedAt, disabledAt: row.disabledAt };
}

export class SqliteUserRepository implements UserRepository {
  constructor(private readonly db: Db) {}

  insert(user: NewUser): UserInfo {
    return userInfoOf(this.db.insert(users).values({ ...user, passwordChangedAt: user.createdAt }).returning().get());
  }

  credentials(name: string): { info: UserInfo; passwordHash: string } | undefined {
    const row = this.db.select().from(users).where(eq(users.name, name)).get();
    return row && { info: userInfoOf(row), passwordHash: row.passwordHash };
  }

  named(name: string): UserInfo | undefined {
    return this.credentials(name)?.info;
  }

  list(): UserInfo[] {
    return this.db.select().from(users).orderBy(asc(users.id)).all().map(userInfoOf);
  }

  setDisabled(id: number, at: Date | null): UserInfo {
    return userInfoOf(this.db.update(users).set({ disabledAt: at }).where(eq(users.id, id)).returning().get());
  }

  setPassword(id: number, passwordHash: string, at: Date): UserInfo {
    return userInfoOf(this.db.update(users).set({ passwordHash, passwordChangedAt: at }).where(eq(users.id, id)).returning().get());
  }
}
