import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Config } from "../config/load.ts";
import type { Logger } from "../core/logger.ts";

/** Editors write a file in bursts (truncate, write, rename): one reload after the burst. */
const SETTLE_MS = 250;

/**
 * Calls `changed` when the config file changes. Watches the directory, not the file: editors and
 * config management replace files by rename, which a watch on the old file would not see again.
 */
export function watchConfigFile(path: string, changed: () => void, log: Logger): () => void {
  const name = basename(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(changed, SETTLE_MS);
    });
  } catch (error) {
    log.warn("cannot watch the config file; reload with SIGHUP (systemctl reload syncer)", { config: path, error: error instanceof Error ? error.message : String(error) });
    return () => {};
  }
  watcher.on("error", (error) => log.warn("config watch failed; reload with SIGHUP", { error: error.message }));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}

/** Settings a running daemon cannot take over: they apply at the next start. */
export function restartNeeded(running: Config, next: Config): string[] {
  const keys: string[] = [];
  if (running.server.listen !== next.server.listen) keys.push(`server.listen (${running.server.listen} → ${next.server.listen})`);
  if (running.paths.database !== next.paths.database) keys.push("server.database / server.data_dir");
  if (running.server.max_body_mb !== next.server.max_body_mb) keys.push("server.max_body_mb");
  if (JSON.stringify(running.log) !== JSON.stringify(next.log)) keys.push("log");
  return keys;
}

/** What a reload changes, for the log line: the sections that differ. */
export function changedSections(running: Config, next: Config): string[] {
  const sections = ["accounts", "jobs", "plugins", "sandbox", "inventory", "retention", "ui"] as const;
  return sections.filter((section) => JSON.stringify(running[section]) !== JSON.stringify(next[section]));
}
