/**
 * What a sandbox process may do beyond the wasm sandbox, through bun:ffi: no_new_privs (nothing it
 * executes gains privileges) and, where the kernel offers Landlock, read-only access to the few paths
 * Bun itself, DNS and TLS need, and no other files: it writes none (its data is the daemon's, asked
 * over the pipe; a file the plugin reads is sent by the daemon).
 *
 * Both bind only the thread that asks, and Bun has threads already (its thread pool does async file
 * reads for the main thread). So the process confines itself and then executes itself again: every
 * thread of the new image descends from the confined one. The marker in the environment tells the
 * second start what is in force. Elsewhere than Linux (or without glibc) nothing is confined.
 */
import { realpathSync, statSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";
import type { FFIType as FFITypes, Pointer } from "bun:ffi";
import { currentEnvironment, executeAgain } from "../../core/execute-again.ts";
import { describeSystemError } from "../../core/errors.ts";
import type { Confinement } from "../protocol.ts";

export type { Confinement };


/** Set for the second start by the first; the daemon never passes it on (process.ts). */
export const CONFINED_ENV = "SYNCER_SANDBOX_CONFINED";

const PR_SET_NO_NEW_PRIVS = 38;
const PR_GET_NO_NEW_PRIVS = 39;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

/** The same on x86_64 and aarch64 (the generic syscall table). */
const SYS_CREATE_RULESET = 444;
const SYS_ADD_RULE = 445;
const SYS_RESTRICT_SELF = 446;
const CREATE_RULESET_VERSION = 1;
const RULE_PATH_BENEATH = 1;

// Filesystem rights (include/uapi/linux/landlock.h); each ABI version handles more of them.
const EXECUTE = 1n << 0n;
const WRITE_FILE = 1n << 1n;
const READ_FILE = 1n << 2n;
const READ_DIR = 1n << 3n;
const TRUNCATE = 1n << 14n;
/** Rights that apply to a file (a rule on a file may grant no others). */
const FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | (1n << 15n);
/** Every filesystem right ABI v1 knows (bits 0–12), then REFER (v2), TRUNCATE (v3), IOCTL_DEV (v5). */
const fsRights = (abi: number): bigint => (1n << 13n) - 1n | (abi >= 2 ? 1n << 13n : 0n) | (abi >= 3 ? TRUNCATE : 0n) | (abi >= 5 ? 1n << 15n : 0n);
/** ABI v4: binding TCP ports (a sandbox listens on none); connecting stays free, the host's allow-list guards it. */
const NET_BIND_TCP = 1n;
/** ABI v6: no abstract Unix sockets and no signals beyond the sandbox's own domain. */
const SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL = 3n;

const READ = READ_FILE | READ_DIR;
const READ_EXECUTE = READ | EXECUTE;

interface Libc {
  syscall: (nr: number, a: number | bigint, b: number | bigint, c: number | bigint, d: number | bigint) => bigint;
  prctl: (...args: number[]) => number;
  open: (path: Pointer, flags: number) => number;
  close: (fd: number) => number;
  __errno_location: () => Pointer;
}

let ffi: { libc: Libc; ptr: typeof import("bun:ffi").ptr; read: typeof import("bun:ffi").read } | null | undefined;

function linux() {
  if (ffi !== undefined) return ffi;
  ffi = null;
  if (process.platform !== "linux" || (process.arch !== "x64" && process.arch !== "arm64")) return ffi;
  try {
    const { dlopen, FFIType, ptr, read } = require("bun:ffi") as typeof import("bun:ffi") & { FFIType: typeof FFITypes };
    const { symbols } = dlopen("libc.so.6", {
      syscall: { args: [FFIType.i64, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i64 },
      prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
      open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
      __errno_location: { args: [], returns: FFIType.ptr },
    });
    ffi = { libc: symbols as unknown as Libc, ptr, read };
  } catch {
    // no glibc: nothing is confined
  }
  return ffi;
}

/** The name of the errno the last failed call left (EPERM, ENOSYS…). */
function errnoName(): string {
  const calls = linux()!;
  const errno = calls.read.i32(calls.libc.__errno_location(), 0);
  return Object.entries(constants.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
}

const cString = (text: string) => Buffer.from(`${text}\0`);

/** The Landlock ABI version the kernel offers, or why there is none. */
function landlockAbi(): number | string {
  const calls = linux();
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  if (!calls) return process.arch === "x64" || process.arch === "arm64" ? "no glibc to call the kernel through" : `no Landlock system call numbers for ${process.arch}`;
  const abi = Number(calls.libc.syscall(SYS_CREATE_RULESET, 0, 0, CREATE_RULESET_VERSION, 0));
  if (abi > 0) return abi;
  const errno = errnoName();
  if (errno === "ENOSYS") return "the kernel was built without Landlock";
  if (errno === "EOPNOTSUPP") return "Landlock is disabled in this kernel (not in its lsm= list)";
  return `Landlock is unavailable (${errno})`;
}

/** What a sandbox process started on this machine gets, without confining this process (`syncer version`). */
export function probeConfinement(): Confinement {
  const abi = landlockAbi();
  // PR_GET_NO_NEW_PRIVS answers 0 or 1 where the kernel has it (Linux 3.5 on).
  const noNewPrivs = linux() ? linux()!.libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0 : false;
  return { noNewPrivs, landlock: typeof abi === "number" ? { abi } : { unavailable: abi } };
}

/** The resolver's files, read again by glibc when they change. */
const RESOLVER_FILES = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf", "/etc/services"];

/**
 * A resolver's file that links out of /etc (systemd-resolved, resolvconf) is replaced as a whole when
 * the network changes: its folder is allowed, so a long-lived sandbox reads the new one too.
 */
function ruleTarget(path: string): string {
  if (!RESOLVER_FILES.includes(path)) return path;
  try {
    const real = realpathSync(path);
    return real.startsWith("/etc/") ? path : dirname(real);
  } catch {
    return path;
  }
}

/** Where Bun may keep the sources it transpiled: read, a start from source takes a fraction of the time. */
function transpilerCaches(): string[] {
  const { BUN_RUNTIME_TRANSPILER_CACHE_PATH: path, BUN_INSTALL_CACHE_DIR: install, XDG_CACHE_HOME: xdg, HOME: home } = process.env;
  return [path, install && `${install}/@t@`, xdg && `${xdg}/bun/@t@`, home && `${home}/.bun/install/cache/@t@`].filter((entry): entry is string => Boolean(entry?.startsWith("/")));
}

/** One rule: a path and the rights under it (a file gets the file rights among them). */
type Allowance = [path: string, rights: bigint];

/**
 * What a sandbox process reads: the running executable and its shared libraries, what Bun reads about
 * the machine at start (/proc/self, cgroup limits, CPUs), /dev/null and the random devices, the files
 * of DNS and the CA certificates of TLS, the sources when not compiled. Paths that do not exist are
 * left out.
 */
function allowances(sourceRoot: string | undefined): Allowance[] {
  const list: Allowance[] = [
    ["/proc/self/exe", READ_EXECUTE],
    ...["/lib", "/lib64", "/usr/lib", "/usr/lib64"].map((path): Allowance => [path, READ_EXECUTE]),
    ...["/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime", "/usr/share/zoneinfo"].map((path): Allowance => [path, READ]),
    // Bun reads its memory and CPU limits at start; /proc/self is this process's folder only.
    ...["/proc/self", "/proc/meminfo", "/proc/stat", "/proc/cpuinfo", "/proc/sys/vm", "/proc/sys/kernel/random"].map((path): Allowance => [path, READ]),
    ...["/sys/devices/system/cpu", "/sys/devices/system/node", "/sys/fs/cgroup", "/sys/kernel/mm/transparent_hugepage"].map((path): Allowance => [path, READ]),
    ["/dev/null", READ_FILE | WRITE_FILE],
    ["/dev/urandom", READ_FILE],
    ["/dev/random", READ_FILE],
    // The HTTP worker: name resolution (glibc's getaddrinfo) and CA certificates, not /etc/ssl/private.
    ...RESOLVER_FILES.map((path): Allowance => [path, READ]),
    ...["/etc/ssl/certs", "/etc/ssl/cert.pem", "/etc/pki/tls/certs", "/etc/pki/tls/cert.pem", "/etc/pki/ca-trust/extracted", "/usr/share/ca-certificates"].map((path): Allowance => [path, READ]),
  ];
  for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]) {
    for (const path of (process.env[name] ?? "").split(":")) if (path.startsWith("/")) list.push([path, READ]);
  }
  if (sourceRoot) list.push([sourceRoot, READ], ...transpilerCaches().map((path): Allowance => [path, READ]));
  return list;
}

/** Builds and applies the ruleset; the error says which step failed. */
function applyLandlock(abi: number, list: Allowance[]): void {
  const { libc, ptr } = linux()!;
  const handled = fsRights(abi);
  const attr = new BigUint64Array([handled, abi >= 4 ? NET_BIND_TCP : 0n, abi >= 6 ? SCOPE_ABSTRACT_UNIX_SOCKET_AND_SIGNAL : 0n]);
  // struct landlock_ruleset_attr grew with the ABI: the kernel takes the size its version knows.
  const ruleset = Number(libc.syscall(SYS_CREATE_RULESET, ptr(attr), abi >= 6 ? 24 : abi >= 4 ? 16 : 8, 0, 0));
  if (ruleset < 0) throw new Error(`landlock_create_ruleset: ${errnoName()}`);
  try {
    for (const [path, rights] of list) {
      const target = ruleTarget(path);
      let isFile: boolean;
      try {
        isFile = !statSync(target).isDirectory();
      } catch {
        continue; // not on this machine
      }
      const fd = libc.open(ptr(cString(target)), O_PATH | O_CLOEXEC);
      if (fd < 0) continue;
      // struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd (12 bytes).
      const rule = new DataView(new ArrayBuffer(12));
      rule.setBigUint64(0, (isFile ? rights & FILE_RIGHTS : rights) & handled, true);
      rule.setInt32(8, fd, true);
      const added = Number(libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ptr(rule), 0));
      const errno = added < 0 ? errnoName() : "";
      libc.close(fd);
      if (added < 0) throw new Error(`landlock_add_rule ${target}: ${errno}`);
    }
    if (Number(libc.syscall(SYS_RESTRICT_SELF, ruleset, 0, 0, 0)) < 0) throw new Error(`landlock_restrict_self: ${errnoName()}`);
  } finally {
    libc.close(ruleset);
  }
}

/**
 * Confines this sandbox process. The first start sets no_new_privs and Landlock, then executes
 * `command` again and does not return; the second start returns what is in force. `sourceRoot`
 * (when running from source) is read too.
 */
export function confineSandbox(command: string[], sourceRoot: string | undefined): Confinement {
  const marker = process.env[CONFINED_ENV];
  if (marker !== undefined) {
    delete process.env[CONFINED_ENV];
    const landlock = (JSON.parse(marker) as Confinement).landlock;
    // no_new_privs is checked rather than believed; Landlock cannot be asked.
    return { noNewPrivs: linux()?.libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) === 1, landlock };
  }
  const calls = linux();
  const abi = landlockAbi();
  if (!calls) return { noNewPrivs: false, landlock: { unavailable: abi as string } };
  const noNewPrivs = calls.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) === 0;
  let landlock: Confinement["landlock"] = { unavailable: String(abi) };
  if (typeof abi === "number") {
    try {
      applyLandlock(abi, allowances(sourceRoot));
      landlock = { abi };
    } catch (error) {
      landlock = { unavailable: error instanceof Error ? error.message : String(error) };
    }
  }
  if (!noNewPrivs && !("abi" in landlock)) return { noNewPrivs, landlock };
  let failure = "not available";
  try {
    executeAgain(command, { ...currentEnvironment(), [CONFINED_ENV]: JSON.stringify({ noNewPrivs, landlock }) });
  } catch (error) {
    failure = describeSystemError(error);
  }
  // Confined already, and half of it would not hold: better no sandbox than a leaky one.
  process.stderr.write(`syncer sandbox: cannot start again confined: execve: ${failure}\n`);
  process.exit(70);
}
