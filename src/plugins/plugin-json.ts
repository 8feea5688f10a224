import { REDACTED } from "../core/redact.ts";
import type { Plugin } from "./plugin.ts";

/** A plugin in lists, as the CLI and the API answer it. */
export function pluginSummary(plugin: Plugin) {
  const { manifest } = plugin;
  return {
    ident: plugin.ident,
    name: manifest.name,
    version: manifest.version,
    enabled: manifest.enabled,
    origin: plugin.origin,
    location: plugin.location,
    description: manifest.description,
    commands: Object.keys(manifest.commands),
  };
}

/** One plugin with its manifest; defaults of secret options are redacted. */
export function pluginDetail(plugin: Plugin) {
  const options = Object.fromEntries(
    Object.entries(plugin.manifest.options).map(([name, option]) => [name, option.secret && option.default !== undefined ? { ...option, default: REDACTED } : option]),
  );
  return { ...pluginSummary(plugin), manifest: { ...plugin.manifest, options } };
}
