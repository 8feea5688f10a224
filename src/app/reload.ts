import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { patternBase } from "../config/include.ts";
import type { Config } from "../config/load.ts";
import type { Logger } from "../core/logger.ts";

/** Editors write a file in bursts (truncate, write, rename): one reload after the burst. */
const SETTLE_MS = 250;

/** Which names in a watched directory are the config's: the config file, included rules files, files a pattern would include. */
type Watched = Map<string, ((name: string) => boolean)[]>;

function watchedPlaces(config: Config): Watched {
  const places: Watched = new Map();
  const add = (dir: string, accepts: (name: string) => boolean) => places.set(dir, [...(places.get(dir) ?? []), accepts]);
  add(dirname(config.source.path), (name) => name === basename(config.source.path));
  for (const file of config.includedFiles) add(dirname(file), (name) => name === basename(file));
  // A file added where a pattern looks (rules.d/) is a change too.
  for (const pattern of config.include.rules) {
    const base = patternBase(pattern, config.source.dir);
    const glob = new Bun.Glob(relative(base, isAbsolute(pattern) ? pattern : join(config.source.dir, pattern)));
    add(base, (name) => glob.match(name));
  }
  return places;
}

/**
 * Calls `changed` when the config file or a rules file it includes changes, or a file appears where an
 * include pattern looks. Watches directories, not files: editors and config management replace files by
 * rename, which a watch on the old file would not see again. `follow` watches what a reloaded config names.
 */
export function watchConfigFiles(config: Config, changed: () => void, log: Logger): { follow(config: Config): void; close(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watchers: FSWatcher[] = [];
  const close = () => {
    for (const watcher of watchers) watcher.close();
    watchers = [];
  };
  const follow = (next: Config) => {
    close();
    for (const [dir, accepts] of watchedPlaces(next)) {
      try {
        const watcher = watch(dir, (_event, file) => {
          if (file !== null && !accepts.some((accept) => accept(file))) return;
          clearTimeout(timer);
          timer = setTimeout(changed, SETTLE_MS);
        });
        watcher.on("error", (error) => log.warn("config watch failed; reload with SIGHUP", { directory: dir, error: error.message }));
        watchers.push(watcher);
      } catch (error) {
        // An include pattern's directory that is not there yet is watched once a reload finds it.
        if (dir !== dirname(next.source.path)) continue;
        log.warn("cannot watch the config file; reload with SIGHUP (systemctl reload syncer)", { config: next.source.path, directory: dir, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  follow(config);
  return {
    follow,
    close() {
      clearTimeout(timer);
      close();
    },
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
  const sections = ["accounts", "jobs", "plugins", "sandbox", "inventory", "retention", "include", "rules", "targets", "ui", "events", "webhooks"] as const;
  return sections.filter((section) => JSON.stringify(running[section]) !== JSON.stringify(next[section]));
}
