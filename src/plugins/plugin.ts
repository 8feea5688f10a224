import type { Manifest } from "./manifest/schema.ts";

/** A plugin whose manifest is valid: what discovery hands to the rest of the daemon. */
export interface Plugin {
  manifest: Manifest;
  ident: string;
  /** "builtin" (inside the binary) or the plugin folder's path. */
  origin: "builtin" | "directory";
  /** The folder (directory plugins) or `builtin:<ident>`: where an operator finds it. */
  location: string;
  manifestPath: string;
  /** The module's bytes, read when first needed. Throws a SyncerError when missing. */
  wasm(): Uint8Array;
}
