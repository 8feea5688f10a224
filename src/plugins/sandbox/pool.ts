import type { Logger } from "../../log/logger.ts";
import type { CallContext, LoadMessage, PluginError } from "./messages.ts";
import { SandboxProcess, type CallOutcome } from "./process.ts";

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
  private starting = 0;
  private readonly queue: Waiter[] = [];
  /** A module that cannot load will not load on retry either: remember why, answer at once. */
  private loadFailure: PluginError | undefined;
  private closed = false;

  constructor(
    private readonly load: LoadMessage,
    private readonly wasm: Uint8Array,
    private readonly options: PoolOptions,
    private readonly log: Logger,
  ) {}

  async call(exportName: string, input: Uint8Array, context: CallContext, timeoutMs: number): Promise<CallOutcome> {
    const failed = (error: PluginError): CallOutcome => ({ ok: false, error, logs: [], droppedLogs: 0, ms: 0 });
    if (this.loadFailure) return failed(this.loadFailure);
    let sandbox: SandboxProcess;
    try {
      sandbox = await this.acquire();
    } catch (error) {
      return failed(error as PluginError);
    }
    try {
      return await sandbox.call(exportName, input, context, timeoutMs);
    } finally {
      this.release(sandbox);
    }
  }

  private acquire(): Promise<SandboxProcess> {
    if (this.closed) return Promise.reject({ kind: "crash", message: `plugin ${this.load.ident} is shutting down` });
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    if (this.all.size + this.starting < this.options.processes) return this.spawn();
    if (this.queue.length >= this.options.queueLimit) {
      return Promise.reject({
        kind: "overloaded",
        message: `plugin ${this.load.ident} has ${this.queue.length} calls waiting (the limit); try again later or raise [sandbox] queue_limit`,
      } satisfies PluginError);
    }
    return new Promise((run, fail) => this.queue.push({ run, fail }));
  }

  private async spawn(): Promise<SandboxProcess> {
    this.starting++;
    try {
      const sandbox = await SandboxProcess.start(this.options.command, this.load, this.wasm, this.log);
      this.all.add(sandbox);
      return sandbox;
    } catch (error) {
      const failure = error as PluginError;
      if (failure.kind !== "crash") {
        this.loadFailure = failure;
        for (const waiter of this.queue.splice(0)) waiter.fail(failure);
      }
      throw failure;
    } finally {
      this.starting--;
    }
  }

  private release(sandbox: SandboxProcess): void {
    if (sandbox.exited || this.closed) {
      this.all.delete(sandbox);
      sandbox.kill();
      const waiter = this.queue.shift();
      // The dead process's place goes to the next waiter, in a fresh process.
      if (waiter) this.spawn().then(waiter.run, waiter.fail);
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
    for (const waiter of this.queue.splice(0)) waiter.fail({ kind: "crash", message: `plugin ${this.load.ident} is shutting down` });
    for (const sandbox of this.all) sandbox.close();
    this.all.clear();
    this.idle.length = 0;
  }
}
