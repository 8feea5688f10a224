/** Web UI users' storage: a name, a role and an argon2id hash of the password, never the password. */

/** What a user may do, least first; src/auth/users.ts maps each onto the API's scopes. */
export const USER_ROLES = ["viewer", "operator", "admin"] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A user as lists and sessions show it: never the password's hash. */
export interface UserInfo {
  id: number;
  name: string;
  role: UserRole;
  createdAt: Date;
  passwordChangedAt: Date;
  disabledAt: Date | null;
}

export interface NewUser {
  name: string;
  role: UserRole;
  passwordHash: string;
  createdAt: Date;
}

export interface UserRepository {
  insert(user: NewUser): UserInfo;
  /** The user of that name, with the password's hash (for logging in), or undefined. */
  credentials(name: string): { info: UserInfo; passwordHash: string } | undefined;
  named(name: string): UserInfo | undefined;
  /** Every user, oldest first. */
  list(): UserInfo[];
  /** Sets (a Date) or clears (null) disabled_at; the user as it is now. */
  setDisabled(id: number, at: Date | null): UserInfo;
  setPassword(id: number, passwordHash: string, at: Date): UserInfo;
}
