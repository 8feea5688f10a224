/** An answer kept by the answer cache: the bytes a sandbox sent and how they are cut (JSON). */
export interface CachedAnswer {
  body: Uint8Array;
  facts: string;
}

/**
 * Answers of plugin calls that depend on nothing but what they were given, each under a key over all of
 * that (src/runs/answer-cache.ts makes the keys), in scopes (one plugin's export for one account). Only a
 * cache: a missing answer is computed again.
 */
export interface AnswerCacheRepository {
  /**
   * The answer kept under `key` in `scope`, or undefined. Its body may be a view of memory the next get
   * reuses: read it, or copy it, before asking for another.
   */
  get(scope: string, key: string): CachedAnswer | undefined;
  /** Keeps `answer` under `key` in `scope`, replacing one kept there. */
  put(scope: string, key: string, answer: CachedAnswer): void;
  /** Drops the scope's answers whose keys are not in `keys` (what the last complete render used); how many went. */
  keepOnly(scope: string, keys: readonly string[]): number;
}
