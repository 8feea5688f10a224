import { readFileSync } from "node:fs";
import type { RunOwner, StoredOwner } from "../db/runs.ts";

/**
 * The process that writes a run or job run (RunOwner): the daemon, or a CLI command such as `syncer csv
 * import_hosts`, all on one database. A pid alone is not enough to tell whether that process still runs
 * (pids are reused, and counted afresh after a reboot), so the owner also records when the process started:
 * the boot's id and the start time the kernel keeps for it. Linux only, as syncer is.
 */
export type { RunOwner, StoredOwner };

function readBootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat, the start time; undefined when there is no such process, or only its zombie. */
function startTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and ')': count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [state] = fields;
  if (state === "Z" || state === "X") return undefined;
  return fields[22 - 3];
}

const bootId = readBootId();

/** When process `pid` started, as RunOwner.started has it: null when /proc does not tell, undefined when there is no such process. */
function startedOf(pid: number): string | null | undefined {
  if (bootId === null) return null;
  const ticks = startTicks(pid);
  return ticks === undefined ? undefined : `${bootId}/${ticks}`;
}

/** A running process as an owner; undefined when there is no process `pid`. */
export function ownerOf(pid: number): RunOwner | undefined {
  const started = startedOf(pid);
  return started === undefined ? undefined : { pid, started };
}

let self: RunOwner | undefined;

/** This process as an owner. */
export function thisProcess(): RunOwner {
  return (self ??= ownerOf(process.pid)!);
}

/**
 * Whether the owner of a row still runs. An unknown owner (a row written before owners were recorded)
 * counts as gone: it was left by an older build, whose daemon closed such rows at every start too.
 */
export function ownerAlive(owner: StoredOwner): boolean {
  if (owner.pid === null) return false;
  const started = startedOf(owner.pid);
  if (started === undefined) return false;
  // Without /proc there is no start time to compare; a process with that pid is taken for the owner.
  if (started === null || owner.started === null) return processExists(owner.pid);
  return started === owner.started;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
