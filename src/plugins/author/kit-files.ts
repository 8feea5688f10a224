import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** Every file under `dir`, by its path relative to `dir` with "/" separators, in path order. */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isFile()) files[relative(dir, path).split("\\").join("/")] = readFileSync(path, "utf8");
  }
  return files;
}

/**
 * The files every new plugin gets verbatim: the whole SDK (vendored, subfolders and generated files
 * included, so the plugin builds on its own exactly as the first-party plugins do) and the test harness.
 * Used as a Bun macro (see scaffold.ts): they are embedded in the binary.
 */
export function readKitFiles(): Record<string, string> {
  const sdk = join(import.meta.dir, "..", "..", "..", "plugins", "sdk");
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(filesUnder(sdk))) files[`sdk/${path}`] = text;
  files["test/harness.ts"] = readFileSync(join(import.meta.dir, "harness.ts"), "utf8");
  return files;
}

/** Each kind's template (templates/<kind>/…: manifest, source, fixtures, README), by kind. A Bun macro too. */
export function readTemplates(): Record<string, Record<string, string>> {
  const root = join(import.meta.dir, "templates");
  const templates: Record<string, Record<string, string>> = {};
  for (const kind of readdirSync(root).sort()) templates[kind] = filesUnder(join(root, kind));
  return templates;
}
