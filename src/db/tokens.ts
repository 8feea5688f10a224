/** API bearer tokens' storage: only a token's hash is kept, never the token. */

/** What is known about a token, never the token or its hash: safe to list, log and answer with. */
export interface TokenInfo {
  id: number;
  name: string;
  /** The token's first characters (`syncer_` and a few more), to recognise it in a list. */
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewToken {
  name: string;
  prefix: string;
  /** The token's hash, by which verification finds it. */
  hash: string;
  scopes: string[];
  createdAt: Date;
}

export interface TokenRepository {
  /** The token of that name that is not revoked, if any. */
  activeNamed(name: string): TokenInfo | undefined;
  insert(token: NewToken): TokenInfo;
  /** Every token, revoked ones too, oldest first. */
  list(): TokenInfo[];
  /** The tokens with this id, or with this name (revoked ones too), oldest first. */
  matching(key: { id: number } | { name: string }): TokenInfo[];
  /** Marks the token revoked at `at`; the token as it is now. */
  revoke(id: number, at: Date): TokenInfo;
  /** The token with this hash, revoked or not. On every API request: fast. */
  byHash(hash: string): TokenInfo | undefined;
  /** Records that the token was used at `at` (Unix ms). */
  touch(id: number, at: number): void;
}
