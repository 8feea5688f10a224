import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The files a new plugin gets verbatim: the whole SDK (vendored, subfolders and generated files
 * included, so the plugin builds on its own exactly as the first-party plugins do) and the test harness.
 * Used as a Bun macro (see scaffold.ts): they are embedded in the binary.
 */
export function readKitFiles(): Record<string, string> {
  const root = join(import.meta.dir, "..", "..", "..");
  const sdk = join(root, "plugins", "sdk");
  const files: Record<string, string> = {};
  const names = readdirSync(sdk, { recursive: true, encoding: "utf8" }).sort();
  for (const name of names) {
    if (!statSync(join(sdk, name)).isFile()) continue;
    files[`sdk/${name.split("\\").join("/")}`] = readFileSync(join(sdk, name), "utf8");
  }
  files["test/harness.ts"] = readFileSync(join(import.meta.dir, "harness.ts"), "utf8");
  return files;
}
