import { NAME_PATTERN, NAME_RULE } from "../config/schema.ts";
import type { Storage } from "../db/storage.ts";
import type { TokenInfo } from "../db/tokens.ts";
import { SyncerError } from "../core/errors.ts";
import { suggestion } from "../core/problems.ts";

export type { TokenInfo };

/** What a token may grant; an API route or a plugin endpoint needs one of them. */
export const TOKEN_SCOPES = ["hosts:read", "hosts:write", "runs:read", "runs:trigger", "events:read", "admin"] as const;

export type Scope = (typeof TOKEN_SCOPES)[number];

/** Every token starts with this, so it is recognisable in a config, a shell history or a secret scanner. */
export const TOKEN_PREFIX = "syncer_";
/** How many of a token's characters are kept to show it: `syncer_` and five more. */
const DISPLAY_PREFIX_LENGTH = 12;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 62^43 > 2^256: 43 base-62 digits hold 32 random bytes. */
const RANDOM_DIGITS = 43;
const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_DIGITS}}$`);

/** Verified tokens are remembered this long: a revocation from another process (the CLI) takes effect in the daemon within it. */
export const VERIFY_CACHE_TTL_MS = 5_000;
/** last_used_at is written at most this often per token, not on every request. */
export const LAST_USED_INTERVAL_MS = 60_000;
/** Tokens are few; the cache is emptied if it ever holds more than this. */
const MAX_CACHED = 1_000;

export interface TokenStoreOptions {
  cacheTtlMs?: number;
  lastUsedIntervalMs?: number;
  /** The clock, in Unix ms; tests move it. */
  now?: () => number;
}

/** The outcome of a revocation: `alreadyRevoked` when the token had been revoked before (nothing changed). */
export interface Revocation {
  info: TokenInfo;
  alreadyRevoked: boolean;
}

/** 32 bytes from the system's CSPRNG as 43 base-62 digits (no '-' or '_': a double-click selects the whole token). */
function randomDigits(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let number = BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
  let digits = "";
  for (let i = 0; i < RANDOM_DIGITS; i++) {
    digits = BASE62[Number(number % 62n)] + digits;
    number /= 62n;
  }
  return digits;
}

/**
 * SHA-256 of the whole token, hex. A fast hash is right here: the token carries 256 random bits, so
 * nobody can guess it from its hash, and a slow password hash (bcrypt, argon2) would only make every
 * API request slow. It also lets verify find the token by an indexed lookup of its hash.
 */
export function hashToken(token: string): string {
  return Bun.SHA256.hash(token, "hex");
}

/** Checks scopes against TOKEN_SCOPES (with a did-you-mean); at least one; duplicates dropped. */
export function parseScopes(scopes: readonly string[]): Scope[] {
  if (scopes.length === 0) throw new SyncerError("usage", `a token needs at least one scope: ${TOKEN_SCOPES.join(", ")}`);
  for (const scope of scopes) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) {
      throw new SyncerError("usage", `unknown scope '${scope}'${suggestion(scope, [...TOKEN_SCOPES])} (scopes: ${TOKEN_SCOPES.join(", ")})`);
    }
  }
  return [...new Set(scopes)] as Scope[];
}

/** Checks a token's name (the account name rules, and not digits only) and scopes; usage errors saying why. */
export function parseTokenRequest(request: { name: string; scopes: readonly string[] }): { name: string; scopes: Scope[] } {
  const { name } = request;
  if (!NAME_PATTERN.test(name)) throw new SyncerError("usage", `token name ${JSON.stringify(name)}: expected ${NAME_RULE}`);
  // `token revoke` takes a name or an id: a name of digits only would read as an id.
  if (/^[0-9]+$/.test(name)) throw new SyncerError("usage", `token name ${JSON.stringify(name)}: a name cannot be digits only (those are ids)`);
  return { name, scopes: parseScopes(request.scopes) };
}

/** What each scope grants besides itself: admin everything, writing implies reading, triggering runs implies reading them. */
const IMPLIED: Record<Scope, readonly Scope[]> = {
  admin: TOKEN_SCOPES,
  "hosts:write": ["hosts:read"],
  "hosts:read": [],
  "runs:trigger": ["runs:read"],
  "runs:read": [],
  "events:read": [],
};

/** True when the granted scopes include `needed` or a scope that implies it. */
export function scopeAllows(granted: readonly string[], needed: Scope): boolean {
  return granted.some((scope) => scope === needed || (IMPLIED[scope as Scope]?.includes(needed) ?? false));
}

interface CacheEntry {
  /** undefined: the hash belongs to a revoked token. */
  info: TokenInfo | undefined;
  expiresAt: number;
}

/**
 * API bearer tokens: created (shown once), listed, revoked, and verified on every API request.
 * Only a token's SHA-256 is stored. Verification is cached per hash for a few seconds (VERIFY_CACHE_TTL_MS):
 * a revocation through this store takes effect at once, one made by another process (`syncer token revoke`
 * while the daemon runs) within that time.
 */
export class TokenStore {
  private readonly cache = new Map<string, CacheEntry>();
  /** When last_used_at was last written, per token id. */
  private readonly lastTouched = new Map<number, number>();
  private readonly cacheTtlMs: number;
  private readonly lastUsedIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly storage: Pick<Storage, "tokens" | "transaction">,
    options: TokenStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? VERIFY_CACHE_TTL_MS;
    this.lastUsedIntervalMs = options.lastUsedIntervalMs ?? LAST_USED_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Makes a token. The returned `token` is the only time it exists outside the caller: it is not stored. */
  create(request: { name: string; scopes: readonly string[] }): { token: string; info: TokenInfo } {
    const { name, scopes } = parseTokenRequest(request);
    const token = TOKEN_PREFIX + randomDigits();
    // Write-locked: two processes creating the same name cannot both pass the check.
    const info = this.storage.transaction(
      ({ tokens }) => {
        const active = tokens.activeNamed(name);
        if (active) throw new SyncerError("conflict", `an active token named '${name}' exists (id ${active.id}); revoke it first or choose another name`);
        return tokens.insert({ name, prefix: token.slice(0, DISPLAY_PREFIX_LENGTH), hash: hashToken(token), scopes, createdAt: new Date(this.now()) });
      },
      { lockWrites: true },
    );
    return { token, info };
  }

  /** Every token, revoked ones too, oldest first. */
  list(): TokenInfo[] {
    return this.storage.tokens.list();
  }

  /**
   * Revokes a token by id (digits) or name (the active token of that name). Revoking a revoked token
   * changes nothing and says so; no such token is not_found.
   */
  revoke(nameOrId: string): Revocation {
    const byId = /^[0-9]+$/.test(nameOrId);
    return this.storage.transaction(
      ({ tokens }) => {
        const matches = tokens.matching(byId ? { id: Number(nameOrId) } : { name: nameOrId });
        const target = matches.find((info) => info.revokedAt === null) ?? matches[matches.length - 1];
        if (!target) throw new SyncerError("not_found", `no token ${byId ? "with id" : "named"} '${nameOrId}'; \`syncer token list\` shows them`);
        if (target.revokedAt !== null) return { info: target, alreadyRevoked: true };
        const revoked = tokens.revoke(target.id, new Date(this.now()));
        // Takes effect at once in this process; revocations are rare, so forgetting every cached token is fine.
        this.cache.clear();
        return { info: revoked, alreadyRevoked: false };
      },
      { lockWrites: true },
    );
  }

  /** The token's info when `presented` is a live token; undefined when it is malformed, unknown or revoked. */
  verify(presented: string): TokenInfo | undefined {
    // Anything not shaped like a token is refused without hashing or a lookup.
    if (!TOKEN_SHAPE.test(presented)) return undefined;
    const hash = hashToken(presented);
    const now = this.now();
    let entry = this.cache.get(hash);
    if (!entry || entry.expiresAt <= now) {
      const info = this.storage.tokens.byHash(hash);
      // Unknown hashes are not cached: guesses would only fill the cache.
      if (!info) return undefined;
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      entry = { info: info.revokedAt === null ? info : undefined, expiresAt: now + this.cacheTtlMs };
      this.cache.set(hash, entry);
    }
    if (entry.info) this.noteUse(entry.info, now);
    return entry.info;
  }

  /** Writes last_used_at when the last write for this token is older than the interval. */
  private noteUse(info: TokenInfo, now: number): void {
    const last = this.lastTouched.get(info.id);
    if (last !== undefined && now - last < this.lastUsedIntervalMs) return;
    // Set before writing: a busy database is not retried on every request.
    this.lastTouched.set(info.id, now);
    try {
      this.storage.tokens.touch(info.id, now);
      info.lastUsedAt = new Date(now);
    } catch {
      // last_used_at is informational: a failed write must not fail the request.
    }
  }
}
