import { NAME_PATTERN, NAME_RULE } from "../config/schema.ts";
import { SyncerError } from "../core/errors.ts";
import { suggestion } from "../core/problems.ts";
import type { Storage } from "../db/storage.ts";
import { USER_ROLES, type UserInfo, type UserRole } from "../db/users.ts";
import type { Scope } from "./tokens.ts";

export { USER_ROLES, type UserInfo, type UserRole };

/** What each role may do, as the API's scopes: viewers read, operators also run jobs, admins everything (accounts too). */
export const ROLE_SCOPES: Record<UserRole, readonly Scope[]> = {
  viewer: ["hosts:read", "runs:read", "events:read"],
  operator: ["hosts:read", "runs:trigger", "events:read"],
  admin: ["admin"],
};

/** Shorter passwords are refused: a login form faces the network, with only the failed-login limit in front. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer ones too: hashing megabytes on every login attempt would be a way to load the daemon. */
export const MAX_PASSWORD_LENGTH = 1024;

/** argon2id's cost: memory in KiB and passes. Bun's defaults (64 MiB, 2 passes) unless a test asks for less. */
export interface PasswordCost {
  memoryCost: number;
  timeCost: number;
}

export function parseRole(role: string): UserRole {
  if ((USER_ROLES as readonly string[]).includes(role)) return role as UserRole;
  throw new SyncerError("usage", `unknown role '${role}'${suggestion(role, [...USER_ROLES])} (roles: ${USER_ROLES.join(", ")})`);
}

export function checkUserName(name: string): string {
  if (!NAME_PATTERN.test(name)) throw new SyncerError("usage", `user name ${JSON.stringify(name)}: expected ${NAME_RULE}`);
  return name;
}

/** A usage error unless the password is of an acceptable length; the password itself is never in a message. */
export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) throw new SyncerError("usage", `the password is too short: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new SyncerError("usage", `the password is too long: at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}


/**
 * Web UI users: created with a role, listed, disabled and enabled, given a new password, and checked at
 * login. Passwords are kept as argon2id hashes (Bun.password). Disabling a user or changing the password
 * ends the user's sessions.
 */
export class UserStore {
  /** Compared against when the name is unknown, so a wrong name costs the same time as a wrong password. */
  private decoyHash: Promise<string> | undefined;

  constructor(
    private readonly storage: Pick<Storage, "users" | "sessions" | "transaction">,
    private readonly now: () => number = Date.now,
    private readonly cost?: PasswordCost,
  ) {}

  private hashPassword(password: string): Promise<string> {
    return Bun.password.hash(password, { algorithm: "argon2id", ...this.cost });
  }

  async create(request: { name: string; role: string; password: string }): Promise<UserInfo> {
    const name = checkUserName(request.name);
    const role = parseRole(request.role);
    const passwordHash = await this.hashPassword(checkPassword(request.password));
    return this.storage.transaction(
      ({ users }) => {
        if (users.named(name)) throw new SyncerError("conflict", `a user named '${name}' exists; \`syncer users passwd ${name}\` sets a new password`);
        return users.insert({ name, role, passwordHash, createdAt: new Date(this.now()) });
      },
      { lockWrites: true },
    );
  }

  list(): UserInfo[] {
    return this.storage.users.list();
  }

  /** The user of that name; not_found (with a did-you-mean) when there is none. */
  named(name: string): UserInfo {
    return this.existing(this.storage, name);
  }

  /** Disables (or enables) a user; disabling ends every session of the user at once. */
  setDisabled(name: string, disabled: boolean): { info: UserInfo; changed: boolean; sessionsEnded: number } {
    return this.storage.transaction(
      (tx) => {
        const user = this.existing(tx, name);
        if ((user.disabledAt !== null) === disabled) return { info: user, changed: false, sessionsEnded: 0 };
        const info = tx.users.setDisabled(user.id, disabled ? new Date(this.now()) : null);
        return { info, changed: true, sessionsEnded: disabled ? tx.sessions.deleteForUser(user.id) : 0 };
      },
      { lockWrites: true },
    );
  }

  /** Sets a new password and ends the user's sessions (whoever knew the old one is logged out). */
  async setPassword(name: string, password: string): Promise<{ info: UserInfo; sessionsEnded: number }> {
    this.existing(this.storage, name);
    const passwordHash = await this.hashPassword(checkPassword(password));
    return this.storage.transaction(
      (tx) => {
        const user = this.existing(tx, name);
        return { info: tx.users.setPassword(user.id, passwordHash, new Date(this.now())), sessionsEnded: tx.sessions.deleteForUser(user.id) };
      },
      { lockWrites: true },
    );
  }

  /** The user when the name and password are right and the user is enabled; undefined otherwise, in about the same time either way. */
  async verify(name: string, password: string): Promise<UserInfo | undefined> {
    if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return undefined;
    const found = NAME_PATTERN.test(name) ? this.storage.users.credentials(name) : undefined;
    if (!found) {
      await Bun.password.verify(password, await (this.decoyHash ??= this.hashPassword(crypto.randomUUID())));
      return undefined;
    }
    const matches = await Bun.password.verify(password, found.passwordHash);
    return matches && found.info.disabledAt === null ? found.info : undefined;
  }

  private existing(storage: Pick<Storage, "users">, name: string): UserInfo {
    const user = storage.users.named(name);
    if (!user) {
      const names = storage.users.list().map((info) => info.name);
      throw new SyncerError("not_found", `no user '${name}'${suggestion(name, names)}; \`syncer users list\` shows them`);
    }
    return user;
  }
}
