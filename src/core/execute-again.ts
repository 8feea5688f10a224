/**
 * execve(2) of the running executable: the process starts over as itself, with other arguments or
 * another environment (a sandbox confined, a bulk command keeping the memory it frees). Through
 * process.execve, which Bun implements natively: no libc loaded through FFI on the way to a start.
 * Linux only; elsewhere it does nothing.
 */
import { readFileSync } from "node:fs";

/**
 * Executes /proc/self/exe (the same file even if replaced on disk since) with `argv` and `env`. Returns
 * only when it could not: false where there is no execve to call, else it throws with execve's failure.
 */
export function executeAgain(argv: string[], env: Record<string, string>): false {
  if (process.platform !== "linux" || typeof process.execve !== "function") return false;
  process.execve("/proc/self/exe", argv, env);
  throw new Error("execve of /proc/self/exe returned");
}

/** The environment of this process as execve takes it. */
export const currentEnvironment = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));

/** mimalloc's setting for how long freed memory is kept before it goes back to the system. */
const PURGE_DELAY = "MIMALLOC_PURGE_DELAY";

/**
 * Has a command that ends soon (an import, an export, an inventory, any CLI command but the daemon)
 * keep the memory it frees for reuse.
 * Bun allocates through mimalloc, which gives freed memory back to the system 10 ms after it is freed.
 * A run that passes a million hosts through buffers of a megabyte frees and allocates them hundreds of
 * times a second, and each time the kernel maps and zeroes fresh pages, a page fault for every 4 KiB:
 * at 1M hosts, 400,000 faults and more system time than the run's own work (bench/scale.ts). Kept, the
 * freed memory is reused: the peak is what it was, and the process ends soon after. mimalloc reads the
 * setting when the process starts, so the command executes itself again with it, as it was started
 * (/proc/self/cmdline), before it loads anything else; its sandbox processes inherit it. A daemon gives
 * its memory back as before.
 */
export function keepFreedMemory(): void {
  if (process.env[PURGE_DELAY] !== undefined || process.platform !== "linux") return;
  let argv: string[];
  try {
    argv = readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
  } catch {
    return;
  }
  executeAgain(argv, { ...currentEnvironment(), [PURGE_DELAY]: "-1" });
}
