import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The files a new plugin gets verbatim: the SDK (vendored, so the plugin builds on its own) and the
 * test harness. Used as a Bun macro (see scaffold.ts): they are embedded in the binary.
 */
export function readKitFiles(): Record<string, string> {
  const root = join(import.meta.dir, "..", "..", "..");
  return {
    "sdk/index.ts": readFileSync(join(root, "plugins", "sdk", "index.ts"), "utf8"),
    "sdk/host.ts": readFileSync(join(root, "plugins", "sdk", "host.ts"), "utf8"),
    "test/harness.ts": readFileSync(join(import.meta.dir, "harness.ts"), "utf8"),
  };
}
