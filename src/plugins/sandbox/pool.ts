import type { PluginError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { CallContext, LoadMessage } from "../protocol.ts";
import { NOT_BEGUN, SandboxProcess, type CallOutcome, type CallSections, type HostCalls } from "./process.ts";

export interface PoolOptions {
  /** Sandbox processes at most; each runs one call at a time. */
  processes: number;
  /** Calls waiting for a process at most; one more is refused as "overloaded". */
  queueLimit: number;
  /** How to start this program again (see runtime-info.ts). */
  command: string[];
}

interface Waiter {
  run: (sandbox: SandboxProcess) => void;
  fail: (error: PluginError) => void;
}

/**
 * Calls a process holds at most: the one it runs and one sent ahead, whose request is there the moment
 * the first ends (a page of a million hosts' inventory crosses while the previous one is worked on).
 */
const CALLS_PER_PROCESS = 2;

/**
 * The sandbox processes of one plugin and the bounded queue in front of them. Processes start on
 * demand; a call goes to an idle process, else to a new one while there is room, else behind the
 * call a process runs (CALLS_PER_PROCESS), else it waits; calls sent ahead count as waiting. A dead
 * process (timeout, crash) is dropped, the calls it had not begun go round again, and the next call
 * starts a fresh one.
 */
export class PluginPool {
  private readonly all = new Set<SandboxProcess>();
  private readonly queue: Waiter[] = [];
  /** A module that cannot load will not load on retry either: remember why, answer at once. */
  private loadFailure: PluginError | undefined;
  private closed = false;

  constructor(
    private readonly load: LoadMessage,
    private readonly wasm: Uint8Array,
    private readonly options: PoolOptions,
    private readonly log: Logger,
    private readonly hostCalls?: HostCalls,
  ) {}

  /**
   * Runs one call. Unless it has to queue, the request is written before this returns (to a new
   * process along with the module), not a microtask later: a run that asks for its next page and
   * then works synchronously on the current one keeps the plugin busy meanwhile.
   * `spread` false: the call starts no process while the pool has one, it waits for it instead (a
   * caller whose calls are many small pieces of one job, that a second process would not win back).
   */
  call(exportName: string, request: CallSections, context: CallContext, timeoutMs: number, spread = true): Promise<CallOutcome> {
    const failed = (error: PluginError): CallOutcome => ({ ok: false, error, logs: [], droppedLogs: 0, ms: 0 });
    if (this.loadFailure) return Promise.resolve(failed(this.loadFailure));
    if (this.closed) return Promise.resolve(failed(this.shuttingDown()));
    const free = spread || this.alive() === 0 ? this.free() : this.idle();
    if (free) return this.callOn(free, exportName, request, context, timeoutMs, spread);
    const waiting = this.waiting();
    if (waiting >= this.options.queueLimit) {
      return Promise.resolve(
        failed({
          kind: "overloaded",
          message: `plugin ${this.load.ident} has ${waiting} calls waiting (the limit); try again later or raise [sandbox] queue_limit`,
        }),
      );
    }
    const ahead = this.withRoom();
    if (ahead) return this.callOn(ahead, exportName, request, context, timeoutMs, spread);
    return new Promise<SandboxProcess>((run, fail) => this.queue.push({ run, fail })).then(
      (next) => this.callOn(next, exportName, request, context, timeoutMs, spread),
      (error: PluginError) => failed(error),
    );
  }

  /** A call sent to a process whose call before it never began (the process died) goes round again. */
  private async callOn(sandbox: SandboxProcess, exportName: string, request: CallSections, context: CallContext, timeoutMs: number, spread: boolean): Promise<CallOutcome> {
    let outcome: CallOutcome | typeof NOT_BEGUN;
    try {
      outcome = await sandbox.call(exportName, request, context, timeoutMs);
    } finally {
      this.release(sandbox);
    }
    return outcome === NOT_BEGUN ? this.call(exportName, request, context, timeoutMs, spread) : outcome;
  }

  /** An idle process. */
  private idle(): SandboxProcess | undefined {
    for (const sandbox of this.all) if (!sandbox.exited && sandbox.pending === 0) return sandbox;
    return undefined;
  }

  /** Processes that have not died. */
  private alive(): number {
    let count = 0;
    for (const sandbox of this.all) if (!sandbox.exited) count++;
    return count;
  }

  /** An idle process, else a new one while there is room. */
  private free(): SandboxProcess | undefined {
    return this.idle() ?? (this.all.size < this.options.processes ? this.spawn() : undefined);
  }

  /** A process that can take a call behind the one it runs. */
  private withRoom(): SandboxProcess | undefined {
    for (const sandbox of this.all) if (!sandbox.exited && sandbox.pending < CALLS_PER_PROCESS) return sandbox;
    return undefined;
  }

  /** Calls that wait: in the queue, and sent ahead behind a running call. */
  private waiting(): number {
    let ahead = 0;
    for (const sandbox of this.all) ahead += Math.max(0, sandbox.pending - 1);
    return this.queue.length + ahead;
  }

  private shuttingDown(): PluginError {
    return { kind: "crash", message: `plugin ${this.load.ident} is shutting down` };
  }

  /** A new process, the module on its way; a load failure other than a crash fails the waiting calls and every later one. */
  private spawn(): SandboxProcess {
    const sandbox = SandboxProcess.start(this.options.command, this.load, this.wasm, this.log, this.hostCalls);
    this.all.add(sandbox);
    void sandbox.loaded.then((failure) => {
      if (!failure || failure.kind === "crash") return;
      this.loadFailure = failure;
      for (const waiter of this.queue.splice(0)) waiter.fail(failure);
    });
    return sandbox;
  }

  private release(sandbox: SandboxProcess): void {
    if (sandbox.exited || this.closed || this.loadFailure) {
      this.all.delete(sandbox);
      sandbox.kill();
      // The dead process's place goes to the next waiter: a fresh process, unless another call of the dead one took it.
      const next = this.queue.length > 0 ? (this.free() ?? this.withRoom()) : undefined;
      if (next) this.queue.shift()!.run(next);
      return;
    }
    // The call's place in this process goes to the next waiter.
    this.queue.shift()?.run(sandbox);
  }

  get stats(): { processes: number; idle: number; queued: number } {
    return { processes: this.all.size, idle: [...this.all].filter((sandbox) => !sandbox.busy).length, queued: this.queue.length };
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) waiter.fail(this.shuttingDown());
    for (const sandbox of this.all) sandbox.close();
    this.all.clear();
  }
}
