import type { PluginError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { CallContext, LoadMessage } from "../protocol.ts";
import { SandboxProcess, type CallOutcome, type CallSections, type HostCalls } from "./process.ts";

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
 * The sandbox processes of one plugin and the bounded queue in front of them. Processes start on
 * demand; a dead one (timeout, crash) is dropped and the next call starts a fresh one.
 */
export class PluginPool {
  private readonly idle: SandboxProcess[] = [];
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
   */
  call(exportName: string, request: CallSections, context: CallContext, timeoutMs: number): Promise<CallOutcome> {
    const failed = (error: PluginError): CallOutcome => ({ ok: false, error, logs: [], droppedLogs: 0, ms: 0 });
    if (this.loadFailure) return Promise.resolve(failed(this.loadFailure));
    if (this.closed) return Promise.resolve(failed(this.shuttingDown()));
    const sandbox = this.idle.pop() ?? (this.all.size < this.options.processes ? this.spawn() : undefined);
    if (sandbox) return this.callOn(sandbox, exportName, request, context, timeoutMs);
    if (this.queue.length >= this.options.queueLimit) {
      return Promise.resolve(
        failed({
          kind: "overloaded",
          message: `plugin ${this.load.ident} has ${this.queue.length} calls waiting (the limit); try again later or raise [sandbox] queue_limit`,
        }),
      );
    }
    return new Promise<SandboxProcess>((run, fail) => this.queue.push({ run, fail })).then(
      (next) => this.callOn(next, exportName, request, context, timeoutMs),
      (error: PluginError) => failed(error),
    );
  }

  private async callOn(sandbox: SandboxProcess, exportName: string, request: CallSections, context: CallContext, timeoutMs: number): Promise<CallOutcome> {
    try {
      return await sandbox.call(exportName, request, context, timeoutMs);
    } finally {
      this.release(sandbox);
    }
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
      const waiter = this.queue.shift();
      // The dead process's place goes to the next waiter, in a fresh process.
      if (waiter) waiter.run(this.spawn());
      return;
    }
    const waiter = this.queue.shift();
    if (waiter) waiter.run(sandbox);
    else this.idle.push(sandbox);
  }

  get stats(): { processes: number; idle: number; queued: number } {
    return { processes: this.all.size, idle: this.idle.length, queued: this.queue.length };
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) waiter.fail(this.shuttingDown());
    for (const sandbox of this.all) sandbox.close();
    this.all.clear();
    this.idle.length = 0;
  }
}
