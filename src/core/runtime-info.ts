import { fileURLToPath } from "node:url";

/** True inside the executable built by `bun build --compile`, whose modules live under /$bunfs/. */
export function isCompiled(): boolean {
  return import.meta.url.includes("$bunfs") || Bun.main.startsWith("/$bunfs/");
}

/** The project's folder (above src/) when running from source, whose files Bun reads as it goes; compiled: none. */
export function sourceRoot(): string | undefined {
  return isCompiled() ? undefined : fileURLToPath(new URL("../..", import.meta.url));
}

/**
 * The command that starts this program again, for sandbox processes: the binary itself when
 * compiled, else Bun running src/main.ts (under `bun run` and `bun test` alike).
 */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL("../main.ts", import.meta.url))];
}
