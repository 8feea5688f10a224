import type { Subprocess } from "bun";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { describeSystemError, type PluginError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { AnswerFacts } from "../answers.ts";
import { spawnSandbox, takeEarlySandbox } from "./early.ts";
import { FrameReader, frameHead, frameParts, type Sections } from "./frames.ts";
import type { CallContext, Confinement, FileMessage, FromSandbox, HostCallMessage, HostCallName, LoadedMessage, LoadMessage, LogLine, ResultMessage } from "../protocol.ts";

/** What a call sends: the ABI request (UTF-8 JSON, maybe in parts) and, for a page of hosts, their hostnames (newline-separated). */
export interface CallSections {
  request: Uint8Array | Uint8Array[];
  hostnames?: Uint8Array;
}

/** The outcome of one call, as the daemon sees it. */
export type CallOutcome =
  | { ok: true; output: Uint8Array; facts?: AnswerFacts; logs: LogLine[]; droppedLogs: number; ms: number }
  | { ok: false; error: PluginError; logs: LogLine[]; droppedLogs: number; ms: number };

const STDERR_LINES_KEPT = 20;

/** A handed-over file larger than this crosses a chunk at a time (SandboxProcess.stream). */
const FILE_CHUNK_BYTES = 1024 * 1024;

/**
 * The daemon's answers to a plugin's host calls (its cache, events, host reads), given the context of
 * the call in flight; throws when it cannot answer. Absent: no storage (a call outside a database).
 */
export type HostCalls = (name: HostCallName, args: unknown, context: CallContext) => unknown;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a call sent behind another gets when the process dies before it began: it may be sent again. */
export const NOT_BEGUN = Symbol("not begun");

/** A call sent to a sandbox process: running (the first of its calls) or waiting behind it. */
interface SentCall {
  id: number;
  export: string;
  context: CallContext;
  resolve: (outcome: CallOutcome | typeof NOT_BEGUN) => void;
  timeoutMs: number;
  /** Set when it begins to run: its time limit counts from then. */
  timer?: Timer;
  started: number;
}

/**
 * One sandbox process hosting one plugin. It runs one call at a time; a second call may be sent while
 * one runs (the pool decides), so that its request is there the moment the first ends: the process
 * reads its frames in order. A call that overruns its time limit gets the process SIGKILLed; a process
 * that dies fails the calls sent to it and nothing else. Either way the pool starts a new one for the next call.
 */
/** A write's promise, when it has one, failing quietly (see SandboxProcess.write). */
function ignoreFailure(written: number | Promise<number>): void {
  if (typeof written !== "number") written.catch(() => {});
}

export class SandboxProcess {
  private readonly reader = new FrameReader();
  private nextId = 1;
  /** The calls sent and not answered, in order: the first runs. */
  private readonly calls: SentCall[] = [];
  private loadedWaiter: ((message: LoadedMessage | undefined) => void) | undefined;
  /** Settles when the plugin is loaded (undefined) or cannot be (why). Calls need not wait for it. */
  readonly loaded: Promise<PluginError | undefined>;
  private killedForTimeout = false;
  private readonly stderrTail: string[] = [];
  /** The file last handed to this process, as it was then: sent again only when it changed. */
  private handed: { path: string; mtimeMs: number; size: number } | undefined;
  /** A large file on its way, a chunk at a time; frames sent meanwhile follow it. */
  private streaming: Promise<void> | undefined;
  /** What confines the process, once it has said (its "loaded" message). */
  confinement: Confinement | undefined;
  exited = false;

  private constructor(
    private readonly child: Subprocess<"pipe", "pipe", "pipe">,
    private readonly ident: string,
    private readonly log: Logger,
    private readonly hostCalls: HostCalls | undefined,
  ) {
    this.loaded = new Promise((resolve) => {
      this.loadedWaiter = (message) =>
        resolve(message?.ok ? undefined : (message?.error ?? { kind: "crash", message: `the sandbox process for plugin ${ident} died while loading it${this.lastWords()}` }));
    });
    void this.pump();
    void this.pumpStderr();
    void child.exited.then(() => this.onExit());
  }

  /**
   * Starts a sandbox process and sends it the plugin; returns at once. A call may be sent before the
   * plugin is loaded: the process reads frames in order, so the first call's request travels with
   * the module and the daemon need not be free when the load finishes. A plugin that cannot load
   * answers every call with the load error; `loaded` tells the pool.
   */
  static start(command: string[], load: LoadMessage, wasm: Uint8Array, log: Logger, hostCalls?: HostCalls): SandboxProcess {
    // One started early for this plugin (early.ts) is further along: taken, else a new one.
    const child = takeEarlySandbox(command, load.ident) ?? spawnSandbox(command, load.ident);
    const sandbox = new SandboxProcess(child, load.ident, log, hostCalls);
    sandbox.send(load, { module: wasm });
    return sandbox;
  }

  private send(message: object, sections?: Sections): void {
    const parts = frameParts(message, sections);
    // Behind a file on its way, a frame waits its turn: frames cross in the order they were sent.
    if (this.streaming) this.after(() => this.write(parts));
    else this.write(parts);
  }

  /** Runs `step` once what is on its way has gone (see streaming). */
  private after(step: () => void | Promise<void>): void {
    const next = (this.streaming ?? Promise.resolve()).then(step).catch(() => {});
    this.streaming = next;
    void next.then(() => {
      if (this.streaming === next) this.streaming = undefined;
    });
  }

  private write(parts: Uint8Array[]): void {
    if (this.exited) return;
    // A process that died cannot take it: its exit answers its calls. A write to its closed end fails
    // with EPIPE before that exit is seen, at once or as the write's promise when the pipe was full.
    try {
      for (const part of parts) ignoreFailure(this.child.stdin.write(part));
      ignoreFailure(this.child.stdin.flush());
    } catch {}
  }

  /**
   * Sends a large file as it reads it, a chunk at a time, each written before the next is read: what
   * the daemon holds of it is a chunk, not the file and a copy in the channel's buffer. A file that
   * cannot be read to its end (it shrank meanwhile) leaves the frame short: the process is killed, and
   * its calls fail.
   */
  private async stream(message: FileMessage, path: string, size: number): Promise<void> {
    let fd: number | undefined;
    try {
      fd = openSync(path, "r");
      ignoreFailure(this.child.stdin.write(frameHead(message, [["file", size]])));
      // One buffer for every chunk, filled again once the last is flushed: a fresh megabyte per chunk
      // was fresh memory for the kernel to fault in, 48 times for a million hosts' CSV.
      const buffer = new Uint8Array(Math.min(FILE_CHUNK_BYTES, size));
      for (let sent = 0; sent < size; ) {
        const chunk = buffer.subarray(0, Math.min(FILE_CHUNK_BYTES, size - sent));
        const read = readSync(fd, chunk, 0, chunk.byteLength, sent);
        if (read === 0) throw new Error(`${path} ended at ${sent} of ${size} bytes while it was handed over`);
        ignoreFailure(this.child.stdin.write(chunk.subarray(0, read)));
        sent += read;
        await this.child.stdin.flush();
        if (this.exited) return;
      }
    } catch (error) {
      this.log.warn("a file could not be handed over whole; its sandbox is stopped", { plugin: this.ident, path, error: describeSystemError(error) });
      this.kill();
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private async pump(): Promise<void> {
    for await (const chunk of this.child.stdout) {
      for (const frame of this.reader.push(chunk)) this.onMessage(frame.header as FromSandbox, frame.sections);
    }
  }

  private async pumpStderr(): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of this.child.stderr) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
        this.log.debug("sandbox stderr", { plugin: this.ident, line });
      }
    }
  }

  private onMessage(message: FromSandbox, sections: Record<string, Uint8Array>): void {
    if (message.type === "loaded") {
      this.confinement = message.confinement;
      this.loadedWaiter?.(message);
      this.loadedWaiter = undefined;
      return;
    }
    if (message.type === "host_call") return this.answerHostCall(message, sections.body);
    if (this.calls[0]?.id !== message.id) return;
    this.finish(this.outcomeOf(message, sections.output ?? new Uint8Array(0)));
  }

  /** Answers a host call of the call that runs; the sandbox waits for it, so every path answers. */
  private answerHostCall(message: HostCallMessage, body: Uint8Array | undefined): void {
    const running = this.calls[0];
    try {
      if (running?.id !== message.id) throw new Error(`${message.name} outside the call in flight`);
      if (!this.hostCalls) throw new Error(`${message.name} needs the database, and this call has none`);
      const value = this.hostCalls(message.name, JSON.parse(decoder.decode(body)), running.context);
      this.send({ type: "host_answer", ok: true }, { body: encoder.encode(JSON.stringify(value ?? null)) });
    } catch (error) {
      this.send({ type: "host_answer", ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private outcomeOf(message: ResultMessage, output: Uint8Array): CallOutcome {
    const common = { logs: message.logs, droppedLogs: message.droppedLogs, ms: message.stats.ms };
    return message.ok ? { ok: true, output, facts: message.facts, ...common } : { ok: false, error: message.error!, ...common };
  }

  /** Answers the running call; the next one, sent already, runs from now on. */
  private finish(outcome: CallOutcome): void {
    const running = this.calls.shift();
    if (!running) return;
    clearTimeout(running.timer);
    running.resolve(outcome);
    if (this.calls[0] && !this.exited) this.begin(this.calls[0]);
  }

  /** A call begins to run: its time limit starts. */
  private begin(call: SentCall): void {
    call.started = performance.now();
    call.timer = setTimeout(() => {
      this.killedForTimeout = true;
      this.kill();
      this.finish({
        ok: false,
        error: { kind: "timeout", message: `plugin ${this.ident}: ${call.export} did not finish within ${call.timeoutMs / 1000} s; its sandbox was killed` },
        logs: [],
        droppedLogs: 0,
        ms: performance.now() - call.started,
      });
      this.failWaiting();
    }, call.timeoutMs);
  }

  /** The calls waiting behind the one that ran when the process died never began: they may go elsewhere. */
  private failWaiting(): void {
    for (const call of this.calls.splice(0)) call.resolve(NOT_BEGUN);
  }

  private lastWords(): string {
    const tail = this.stderrTail.filter((line) => line.trim()).slice(-3).join(" | ");
    return tail ? ` (stderr: ${tail})` : "";
  }

  private onExit(): void {
    this.exited = true;
    this.loadedWaiter?.(undefined);
    const running = this.calls[0];
    if (!running) return;
    // Answered as a timeout already, with the calls behind it.
    if (this.killedForTimeout) return;
    const signal = this.child.signalCode;
    const ms = performance.now() - running.started;
    // A SIGKILL we did not send is almost always the kernel's OOM killer.
    const error: PluginError =
      signal === "SIGKILL"
        ? { kind: "oom", message: `the sandbox of plugin ${this.ident} was killed (SIGKILL, likely out of memory) during ${running.export}` }
        : { kind: "crash", message: `the sandbox of plugin ${this.ident} died (${signal ?? `exit code ${this.child.exitCode}`}) during ${running.export}${this.lastWords()}` };
    this.finish({ ok: false, error, logs: [], droppedLogs: 0, ms });
    this.failWaiting();
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Calls sent and not answered yet: the one running and any waiting behind it. */
  get pending(): number {
    return this.calls.length;
  }

  get busy(): boolean {
    return this.calls.length > 0;
  }

  /** Sends a call; NOT_BEGUN when the process died before it began (see failWaiting). */
  call(exportName: string, request: CallSections, context: CallContext, timeoutMs: number): Promise<CallOutcome | typeof NOT_BEGUN> {
    if (this.exited) return Promise.resolve({ ok: false, error: { kind: "crash", message: `the sandbox of plugin ${this.ident} is not running` }, logs: [], droppedLogs: 0, ms: 0 });
    const id = this.nextId++;
    return new Promise<CallOutcome | typeof NOT_BEGUN>((resolve) => {
      const call: SentCall = { id, export: exportName, context, resolve, timeoutMs, started: performance.now() };
      this.calls.push(call);
      if (this.calls.length === 1) this.begin(call);
      if (context.file) this.handOver(context.file);
      this.send({ type: "call", id, export: exportName, context }, { request: request.request, hostnames: request.hostnames });
    });
  }

  /**
   * Sends the call's file before the call, read here: the sandbox may open no files. A file this
   * process has, unchanged, is not sent again; one that cannot be read fails the call once the
   * plugin reads it, as before.
   */
  private handOver(path: string): void {
    let message: FileMessage;
    let bytes: Uint8Array | undefined;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error("not a regular file");
      const { handed } = this;
      if (handed?.path === path && handed.mtimeMs === stat.mtimeMs && handed.size === stat.size) return;
      message = { type: "file", path };
      this.handed = { path, mtimeMs: stat.mtimeMs, size: stat.size };
      if (stat.size > FILE_CHUNK_BYTES) {
        const file = message;
        this.after(() => this.stream(file, path, stat.size));
        return;
      }
      bytes = readFileSync(path);
    } catch (error) {
      message = { type: "file", path, error: describeSystemError(error) };
      this.handed = undefined;
    }
    this.send(message, { file: bytes });
  }

  kill(): void {
    if (this.exited) return;
    // Dead from now on: the pool must not hand this process another call before its exit is observed.
    this.exited = true;
    this.child.kill("SIGKILL");
  }

  /** Closes stdin: the sandbox finishes and exits on its own. */
  close(): void {
    if (this.exited) return;
    // A sandbox inside a call reads no more frames, so it would never see stdin close: it is killed.
    if (this.busy) return this.kill();
    void this.child.stdin.end();
  }
}
