/**
 * execve(2) of the running executable, through bun:ffi: the process starts over as itself, with other
 * arguments or another environment (a sandbox confined, a bulk command keeping the memory it frees).
 * Linux on x64 and arm64 with glibc only; elsewhere it does nothing.
 */
import type { FFIType as FFITypes } from "bun:ffi";
import { readFileSync } from "node:fs";

type Execve = { execve: (path: unknown, argv: unknown, envp: unknown) => number; ptr: (buffer: ArrayBufferView) => number };

let linux: Execve | null | undefined;

function calls(): Execve | null {
  if (linux !== undefined) return linux;
  linux = null;
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return linux;
  try {
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi") & { FFIType: typeof FFITypes };
    const { symbols } = dlopen("libc.so.6", { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } });
    linux = { execve: symbols.execve as Execve["execve"], ptr: ptr as unknown as Execve["ptr"] };
  } catch {
    // no glibc
  }
  return linux;
}

const cString = (text: string) => Buffer.from(`${text}\0`);

/**
 * Executes /proc/self/exe (the same file even if replaced on disk since) with `argv` and `env`. Returns
 * only when it could not: false where there is no execve to call, else it throws with execve's failure.
 */
export function executeAgain(argv: string[], env: Record<string, string>): false {
  const libc = calls();
  if (!libc) return false;
  const strings = [...argv, ...Object.entries(env).map(([key, value]) => `${key}=${value}`)].map(cString);
  const pointers = (from: number, to: number) => new BigUint64Array([...strings.slice(from, to).map((text) => BigInt(libc.ptr(text))), 0n]);
  libc.execve(libc.ptr(cString("/proc/self/exe")), libc.ptr(pointers(0, argv.length)), libc.ptr(pointers(argv.length, strings.length)));
  throw new Error("execve of /proc/self/exe failed");
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
  if (process.env[PURGE_DELAY] !== undefined || !calls()) return;
  let argv: string[];
  try {
    argv = readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
  } catch {
    return;
  }
  executeAgain(argv, { ...currentEnvironment(), [PURGE_DELAY]: "-1" });
}
