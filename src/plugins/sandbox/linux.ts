/**
 * The two Linux system calls a sandbox process makes on itself, through bun:ffi. Elsewhere than
 * Linux (no libc.so.6) both do nothing: the pipes closing and the default pipe size still work.
 */
import type { FFIType as FFITypes } from "bun:ffi";

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const F_SETPIPE_SZ = 1031;

let libc: { prctl: (...args: number[]) => number; fcntl: (...args: number[]) => number } | null | undefined;

function linux() {
  if (libc !== undefined) return libc;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as { dlopen: typeof import("bun:ffi").dlopen; FFIType: typeof FFITypes };
    const { symbols } = dlopen("libc.so.6", {
      prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    });
    libc = symbols as unknown as typeof libc;
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * Dies with the daemon (prctl PR_SET_PDEATHSIG): a daemon killed with SIGKILL closes no pipes in
 * time, and a sandbox busy in a plugin's endless loop would run on as an orphan.
 */
export function dieWithParent(): void {
  const calls = linux();
  if (!calls) return;
  calls.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The parent may have died before prctl took effect: then this process was already handed to init.
  if (process.ppid === 1) process.exit(1);
}

/** Asks for a pipe buffer of `bytes` on `fd` (fcntl F_SETPIPE_SZ); a refusal leaves the default 64 KiB. */
export function widenPipe(fd: number, bytes: number): void {
  linux()?.fcntl(fd, F_SETPIPE_SZ, bytes);
}
