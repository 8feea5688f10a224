import { describe, expect, test } from "bun:test";
import { hashToken, scopeAllows, TOKEN_SCOPES, TokenStore, VERIFY_CACHE_TTL_MS } from "../../src/auth/tokens.ts";
import { openSqliteStorage } from "../../src/db/sqlite/storage.ts";
import { SyncerError } from "../../src/core/errors.ts";
import { freshDatabase } from "../helpers/database.ts";

/** A store over a fresh database with a clock the test moves. */
function storeWithClock() {
  const database = freshDatabase();
  const clock = { now: 1_700_000_000_000 };
  const store = new TokenStore(database, { now: () => clock.now });
  return { database, clock, store };
}

function thrown(action: () => unknown): SyncerError {
  try {
    action();
  } catch (error) {
    if (error instanceof SyncerError) return error;
    throw error;
  }
  throw new Error("expected a SyncerError");
}

describe("TokenStore", () => {
  test("create returns a syncer_ token of 43 base-62 digits and stores only its SHA-256 and a short display prefix", () => {
    const { database, store } = storeWithClock();
    const { token, info } = store.create({ name: "ci", scopes: ["hosts:read"] });
    expect(token).toMatch(/^syncer_[0-9A-Za-z]{43}$/);
    expect(info).toMatchObject({ name: "ci", scopes: ["hosts:read"], prefix: token.slice(0, 12), revokedAt: null, lastUsedAt: null });
    const row = database.sqlite.query<{ hash: string; prefix: string }, []>("SELECT hash, prefix FROM api_tokens").get();
    expect(row).toEqual({ hash: hashToken(token), prefix: token.slice(0, 12) });
    expect(row!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test("two tokens are never alike", () => {
    const { store } = storeWithClock();
    const tokens = new Set(Array.from({ length: 50 }, (_, i) => store.create({ name: `t${i}x`, scopes: ["admin"] }).token));
    expect(tokens.size).toBe(50);
  });

  test("verify answers the token's info for a live token and undefined for unknown, malformed and revoked ones", () => {
    const { store } = storeWithClock();
    const { token, info } = store.create({ name: "ci", scopes: ["runs:read", "hosts:read"] });
    expect(store.verify(token)).toMatchObject({ id: info.id, name: "ci", scopes: ["runs:read", "hosts:read"] });
    expect(store.verify(`syncer_${"A".repeat(43)}`)).toBeUndefined();
    expect(store.verify(token.slice(0, -1))).toBeUndefined();
    expect(store.verify(`${token}x`)).toBeUndefined();
    expect(store.verify("")).toBeUndefined();
    store.revoke("ci");
    expect(store.verify(token)).toBeUndefined();
  });

  test("a name that has an active token is a conflict; after revoking it the name is free again", () => {
    const { store } = storeWithClock();
    store.create({ name: "deploy", scopes: ["hosts:write"] });
    const error = thrown(() => store.create({ name: "deploy", scopes: ["hosts:read"] }));
    expect(error.kind).toBe("conflict");
    expect(error.message).toContain("an active token named 'deploy' exists");
    store.revoke("deploy");
    expect(store.create({ name: "deploy", scopes: ["hosts:read"] }).info.name).toBe("deploy");
  });

  test("names follow the account name rules, and cannot be digits only (revoke reads those as ids)", () => {
    const { store } = storeWithClock();
    for (const name of ["", "CI", "-x", "a b", "x".repeat(64), "42"]) {
      expect({ name, kind: thrown(() => store.create({ name, scopes: ["admin"] })).kind }).toEqual({ name, kind: "usage" });
    }
    expect(store.create({ name: "ci_2-b", scopes: ["admin"] }).info.name).toBe("ci_2-b");
  });

  test("scopes must be known (with a did-you-mean), at least one; duplicates are dropped", () => {
    const { store } = storeWithClock();
    const unknown = thrown(() => store.create({ name: "ci", scopes: ["hosts:reed"] }));
    expect(unknown.kind).toBe("usage");
    expect(unknown.message).toContain("unknown scope 'hosts:reed'; did you mean 'hosts:read'?");
    expect(thrown(() => store.create({ name: "ci", scopes: [] })).message).toContain("at least one scope");
    expect(store.create({ name: "ci", scopes: ["admin", "admin"] }).info.scopes).toEqual(["admin"]);
  });

  test("list shows every token, revoked ones too, and never a token or hash", () => {
    const { store } = storeWithClock();
    const a = store.create({ name: "a", scopes: ["admin"] });
    store.create({ name: "b", scopes: ["hosts:read"] });
    store.revoke("a");
    const listed = store.list();
    expect(listed.map((token) => [token.name, token.revokedAt !== null])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    expect(JSON.stringify(listed)).not.toContain(a.token);
    expect(JSON.stringify(listed)).not.toContain(hashToken(a.token));
    expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt", "scopes"]);
  });

  test("revoke takes a name or an id; a second revoke changes nothing and says so; an unknown one is not_found", () => {
    const { clock, store } = storeWithClock();
    const { info } = store.create({ name: "ci", scopes: ["admin"] });
    const first = store.revoke(String(info.id));
    expect(first.alreadyRevoked).toBe(false);
    expect(first.info.revokedAt?.getTime()).toBe(clock.now);
    clock.now += 1000;
    const second = store.revoke("ci");
    expect(second.alreadyRevoked).toBe(true);
    expect(second.info.revokedAt?.getTime()).toBe(clock.now - 1000);
    expect(thrown(() => store.revoke("nobody")).kind).toBe("not_found");
    expect(thrown(() => store.revoke("999")).kind).toBe("not_found");
  });

  test("a revocation by another process takes effect once the verify cache expires (within seconds)", () => {
    const { database, clock, store } = storeWithClock();
    const { token } = store.create({ name: "ci", scopes: ["admin"] });
    expect(store.verify(token)).toBeDefined();
    // The CLI in another process: its own connection and store.
    const other = openSqliteStorage(database.path);
    new TokenStore(other).revoke("ci");
    other.close();
    clock.now += VERIFY_CACHE_TTL_MS - 1;
    expect(store.verify(token)).toBeDefined();
    clock.now += 1;
    expect(store.verify(token)).toBeUndefined();
  });

  test("verify writes last_used_at at most once a minute per token, not per request", () => {
    const { database, clock, store } = storeWithClock();
    const { token } = store.create({ name: "ci", scopes: ["admin"] });
    const lastUsed = () => database.sqlite.query<{ last_used_at: number | null }, []>("SELECT last_used_at FROM api_tokens").get()!.last_used_at;
    const writes = () => database.sqlite.query<{ n: number }, []>("SELECT total_changes() AS n").get()!.n;
    const start = clock.now;
    store.verify(token);
    expect(lastUsed()).toBe(start);
    const before = writes();
    for (let i = 0; i < 100; i++) {
      clock.now += 500;
      store.verify(token);
    }
    // 50 s later: still the first write, and nothing written since.
    expect(lastUsed()).toBe(start);
    expect(writes()).toBe(before);
    clock.now = start + 60_000;
    store.verify(token);
    expect(lastUsed()).toBe(start + 60_000);
  });
});

describe("scopeAllows", () => {
  test("a scope allows itself; admin allows every scope", () => {
    for (const scope of TOKEN_SCOPES) {
      expect(scopeAllows([scope], scope)).toBe(true);
      expect(scopeAllows(["admin"], scope)).toBe(true);
    }
  });

  test("hosts:write implies hosts:read and runs:trigger implies runs:read, not the other way round", () => {
    expect(scopeAllows(["hosts:write"], "hosts:read")).toBe(true);
    expect(scopeAllows(["runs:trigger"], "runs:read")).toBe(true);
    expect(scopeAllows(["hosts:read"], "hosts:write")).toBe(false);
    expect(scopeAllows(["runs:read"], "runs:trigger")).toBe(false);
    expect(scopeAllows(["hosts:write"], "runs:read")).toBe(false);
    expect(scopeAllows(["runs:trigger", "hosts:read"], "admin")).toBe(false);
    expect(scopeAllows([], "hosts:read")).toBe(false);
    expect(scopeAllows(["bogus"], "hosts:read")).toBe(false);
  });
});
