/**
 * A sandbox process started before anyone asks for it. A one-shot command that runs a plugin
 * (`syncer csv import_hosts demo`, `syncer ansible inventory`) spends its first ~150 ms loading the CLI,
 * the config and the plugins' manifests, and a sandbox process spends ~100 ms starting twice (the second
 * time confined, confine.ts) before it can take the plugin's module. Started at once, the sandbox starts
 * while the CLI loads, on the other core; the plugin's pool takes it for its first process
 * (SandboxProcess.start) instead of spawning one then. It is a process like any other sandbox: it waits
 * for its module on stdin and knows nothing until it gets one. Not taken (the command did not call the
 * plugin, or failed first), it is killed when this process exits; it would end anyway when its stdin closes.
 */
import type { Subprocess } from "bun";
import { CONFINED_ENV } from "./confine.ts";

const EARLY = Symbol.for("syncer.earlySandbox");

export type SandboxChild = Subprocess<"pipe", "pipe", "pipe">;

/** Starts a sandbox process (`command __sandbox`) for plugin `ident`; its environment names the plugin (SYNCER_SANDBOX). */
export function spawnSandbox(command: string[], ident: string): SandboxChild {
  const env: Record<string, string | undefined> = { ...process.env, SYNCER_SANDBOX: ident };
  // Only a sandbox's own first start may say that it is confined (confine.ts).
  delete env[CONFINED_ENV];
  return Bun.spawn([...command, "__sandbox"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env });
}

/**
 * The sandbox started early, in a slot of the global object: compiled, main.ts and the CLI are separate
 * entry points, each with its own copy of this module (build.ts), and the CLI's must find main.ts's.
 */
type Early = { command: string; ident: string; child: SandboxChild };
const slot = ((globalThis as { [EARLY]?: { early?: Early } })[EARLY] ??= {});

/** Starts a sandbox for plugin `ident` now, to be taken by the first pool of that plugin that needs a process. */
export function startEarlySandbox(command: string[], ident: string): void {
  if (slot.early) return;
  const child = spawnSandbox(command, ident);
  // Waiting for its module, it must not keep this process alive.
  child.unref();
  slot.early = { command: JSON.stringify(command), ident, child };
  process.once("exit", () => {
    if (slot.early?.child === child) child.kill("SIGKILL");
  });
}

/** The sandbox started early for this command and plugin, when there is one and it still runs; taken once. */
export function takeEarlySandbox(command: string[], ident: string): SandboxChild | undefined {
  const { early } = slot;
  if (!early || early.ident !== ident || early.command !== JSON.stringify(command)) return undefined;
  const { child } = early;
  slot.early = undefined;
  if (child.exitCode !== null || child.signalCode !== null || child.killed) return undefined;
  child.ref();
  return child;
}
