import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Whether X-Syncer-Signature-256 `given` signs `body` under `secret`, as a receiver checks it: computed here
 * on its own (GitHub's scheme, `sha256=` and the hex HMAC-SHA256), not with syncer's code, and compared in
 * constant time.
 */
export function signatureMatches(secret: string, body: string, given: string | null): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
  const presented = Buffer.from(given ?? "");
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
