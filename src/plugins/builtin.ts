import { readBuiltinPlugins } from "./builtin-files.ts" with { type: "macro" };
import type { EmbeddedPlugin } from "./builtin-files.ts";

/** The first-party plugins, inlined at build time. */
export const BUILTIN_PLUGINS: Record<string, EmbeddedPlugin> = readBuiltinPlugins();
