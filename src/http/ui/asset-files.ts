import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A file the UI serves from memory: its URL path carries a hash of its content, so browsers may keep it for good. */
export interface UiAsset {
  name: string;
  path: string;
  contentType: string;
  body: string;
}

const ROOT = join(import.meta.dir, "..", "..", "..");

/**
 * The UI's static files: the stylesheet and htmx, pinned in package.json. Used as a Bun macro (see
 * assets.ts), so they are read when the binary is built and travel inside it: nothing is loaded from
 * the internet, and nothing from the disk, at run time.
 */
export function readUiAssets(): UiAsset[] {
  const files = [
    { name: "style.css", file: join(import.meta.dir, "assets", "style.css"), contentType: "text/css; charset=utf-8" },
    { name: "favicon.svg", file: join(import.meta.dir, "assets", "favicon.svg"), contentType: "image/svg+xml" },
    { name: "htmx.min.js", file: join(ROOT, "node_modules", "htmx.org", "dist", "htmx.min.js"), contentType: "text/javascript; charset=utf-8" },
  ];
  return files.map(({ name, file, contentType }) => {
    const body = readFileSync(file, "utf8");
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
    return { name, path: `/assets/${hash}/${name}`, contentType, body };
  });
}
