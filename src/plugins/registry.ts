import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describeSystemError, SyncerError } from "../core/errors.ts";
import type { Problem } from "../core/problems.ts";
import { BUILTIN_PLUGINS } from "./builtin.ts";
import type { EmbeddedPlugin } from "./builtin-files.ts";
import { parseManifest } from "./manifest/load.ts";
import type { Plugin } from "./plugin.ts";

/** Every plugin syncer knows about, and what kept others out. */
export interface Registry {
  /** Plugins with a valid manifest, enabled or not, by ident. */
  plugins: Map<string, Plugin>;
  /** Plugins refused for a bad manifest: listed, not loaded; the others still work. */
  refused: Problem[];
  /** Problems that make the set of plugins ambiguous or incomplete (one ident twice, a missing directory): fatal. */
  errors: Problem[];
}

function fromEmbedded(ident: string, embedded: EmbeddedPlugin): { plugin?: Plugin; problems: Problem[] } {
  const manifestPath = `builtin:${embedded.path}/plugin.json`;
  const result = parseManifest(embedded.manifestText, manifestPath);
  if (!result.ok) return { problems: result.problems };
  let bytes: Uint8Array | undefined;
  return {
    problems: [],
    plugin: {
      manifest: result.manifest,
      ident: result.manifest.ident,
      origin: "builtin",
      location: `builtin:${ident}`,
      manifestPath,
      wasm() {
        if (embedded.wasmBase64 === null) throw new SyncerError("manifest", `built-in plugin ${ident} was built without its module (run npm run build)`);
        return (bytes ??= Buffer.from(embedded.wasmBase64, "base64"));
      },
    },
  };
}

function fromDirectory(dir: string): { plugin?: Plugin; problems: Problem[] } {
  const manifestPath = join(dir, "plugin.json");
  let text: string;
  try {
    text = readFileSync(manifestPath, "utf8");
  } catch (error) {
    return { problems: [{ file: manifestPath, message: `cannot read: ${describeSystemError(error)}` }] };
  }
  const result = parseManifest(text, manifestPath);
  if (!result.ok) return { problems: result.problems };
  const wasmPath = resolve(dir, result.manifest.wasm);
  if (!wasmPath.startsWith(resolve(dir) + "/")) {
    return { problems: [{ file: manifestPath, key: "wasm", message: "the module must be inside the plugin folder" }] };
  }
  return {
    problems: [],
    plugin: {
      manifest: result.manifest,
      ident: result.manifest.ident,
      origin: "directory",
      location: dir,
      manifestPath,
      wasm() {
        try {
          return readFileSync(wasmPath);
        } catch (error) {
          throw new SyncerError("manifest", `plugin ${result.manifest.ident}: cannot read its module ${wasmPath}: ${describeSystemError(error)} (is it built?)`);
        }
      },
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // a dangling link or an unreadable entry is not a plugin folder
  }
}

/** Plugin folders in a plugins directory: its subfolders with a plugin.json, or the directory itself. */
function pluginFolders(directory: string): string[] {
  if (existsSync(join(directory, "plugin.json"))) return [directory];
  return readdirSync(directory)
    .sort()
    .map((name) => join(directory, name))
    .filter((path) => isDirectory(path) && existsSync(join(path, "plugin.json")));
}

/**
 * Finds the plugins: those built into the binary, then those in the configured directories. A bad
 * manifest refuses that plugin only; two plugins with one ident is an error naming both.
 */
export function discoverPlugins(directories: string[], builtin: Record<string, EmbeddedPlugin> = BUILTIN_PLUGINS): Registry {
  const registry: Registry = { plugins: new Map(), refused: [], errors: [] };
  const add = ({ plugin, problems }: { plugin?: Plugin; problems: Problem[] }) => {
    registry.refused.push(...problems);
    if (!plugin) return;
    const existing = registry.plugins.get(plugin.ident);
    if (existing) {
      registry.errors.push({
        file: plugin.manifestPath,
        key: "ident",
        message: `two plugins have the ident '${plugin.ident}': ${existing.location} and ${plugin.location}; rename or remove one`,
      });
      return;
    }
    registry.plugins.set(plugin.ident, plugin);
  };
  for (const [ident, embedded] of Object.entries(builtin)) add(fromEmbedded(ident, embedded));
  for (const directory of directories) {
    if (!isDirectory(directory)) {
      registry.errors.push({ file: directory, message: "plugins directory does not exist or is not a directory" });
      continue;
    }
    let folders: string[];
    try {
      folders = pluginFolders(directory);
    } catch (error) {
      registry.errors.push({ file: directory, message: `cannot read plugins directory: ${describeSystemError(error)}` });
      continue;
    }
    for (const folder of folders) add(fromDirectory(folder));
  }
  return registry;
}
