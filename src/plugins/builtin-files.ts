import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A first-party plugin as embedded in the binary: its manifest text and its module. */
export interface EmbeddedPlugin {
  /** Where it came from in the repository, for messages. */
  path: string;
  manifestText: string;
  /** The built module, base64; null when it was not built (build.ts builds it first). */
  wasmBase64: string | null;
}

/**
 * Reads plugins/<ident>/plugin.json and its built module. Used as a Bun macro (see builtin.ts): it runs
 * when the binary is built, so the first-party plugins travel inside it.
 */
export function readBuiltinPlugins(root: string = join(import.meta.dir, "..", "..", "plugins")): Record<string, EmbeddedPlugin> {
  const plugins: Record<string, EmbeddedPlugin> = {};
  if (!existsSync(root)) return plugins;
  for (const name of readdirSync(root).sort()) {
    const manifestPath = join(root, name, "plugin.json");
    if (!existsSync(manifestPath)) continue;
    const manifestText = readFileSync(manifestPath, "utf8");
    let wasmPath = join(root, name, "build", "plugin.wasm");
    try {
      const declared = (JSON.parse(manifestText) as { wasm?: unknown }).wasm;
      if (typeof declared === "string") wasmPath = join(root, name, declared);
    } catch {
      // The manifest is invalid; loading it reports why.
    }
    plugins[name] = {
      path: `plugins/${name}`,
      manifestText,
      wasmBase64: existsSync(wasmPath) ? readFileSync(wasmPath).toString("base64") : null,
    };
  }
  return plugins;
}
