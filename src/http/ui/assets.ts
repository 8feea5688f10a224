import { Hono } from "hono";
import { readUiAssets } from "./asset-files.ts" with { type: "macro" };
import type { UiAsset } from "./asset-files.ts";

/** The UI's static files, inlined at build time. */
const ASSETS: UiAsset[] = readUiAssets();

/** Where a page links an asset: its path with the content hash. */
export function assetPath(name: "style.css" | "htmx.min.js" | "favicon.svg"): string {
  return ASSETS.find((asset) => asset.name === name)!.path;
}

/** Serves the assets from memory; their paths change with their content, so they are cached for good. */
export function assetRoutes(): Hono {
  const app = new Hono();
  for (const asset of ASSETS) {
    app.get(asset.path, (c) => c.body(asset.body, 200, { "content-type": asset.contentType, "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" }));
  }
  return app;
}
