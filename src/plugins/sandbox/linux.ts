/**
 * The Linux system calls a sandbox process makes on itself, through bun:ffi. Elsewhere than Linux (no
 * libc.so.6) they do nothing: the channels closing and their default sizes still work.
 */
import type { FFIType as FFITypes } from "bun:ffi";

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const F_SETPIPE_SZ = 1031;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;

interface Libc {
  prctl: (...args: number[]) => number;
  fcntl: (...args: number[]) => number;
  setsockopt: (fd: number, level: number, name: number, value: Int32Array, length: number) => number;
}

let libc: Libc | null | undefined;

function linux() {
  if (libc !== undefined) return libc;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as { dlopen: typeof import("bun:ffi").dlopen; FFIType: typeof FFITypes };
    const { symbols } = dlopen("libc.so.6", {
      prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    });
    libc = symbols as unknown as Libc;
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

/**
 * Readies one end of the channel to the daemon for frames of about `bytes`: blocking, since this
 * process reads and writes synchronously and has nothing else to do meanwhile (without it, a full
 * channel means polling), and with room for `bytes`. Bun.spawn's stdio is a socket pair, whose room is
 * the writer's send buffer (SO_SNDBUF, up to net.core.wmem_max); a pipe's is its size (F_SETPIPE_SZ,
 * up to fs.pipe-max-size). A refusal leaves the default, 64 KiB to 208 KiB.
 */
export function readyChannel(fd: number, bytes: number): void {
  const calls = linux();
  if (!calls) return;
  const flags = calls.fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && flags & O_NONBLOCK) calls.fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  if (calls.fcntl(fd, F_SETPIPE_SZ, bytes) < 0) calls.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, Int32Array.of(bytes), 4);
}
