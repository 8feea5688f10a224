import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The files a new plugin gets verbatim: the SDK (vendored, so the plugin builds on its own) and the
 * test harness. Used as a Bun macro (see scaffold.ts): they are embedded in the binary.
 */
export function readKitFiles(): Record<string, string> {
  const root = join(import.meta.dir, "..", "..", "..");
  const sdk = join(root, "plugins", "sdk");
  const files: Record<string, string> = {};
  for (const name of readdirSync(sdk).filter((file) => file.endsWith(".ts")).sort()) files[`sdk/${name}`] = readFileSync(join(sdk, name), "utf8");
  files["test/harness.ts"] = readFileSync(join(import.meta.dir, "harness.ts"), "utf8");
  return files;
}
