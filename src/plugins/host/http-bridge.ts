import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { isCompiled } from "../../core/runtime-info.ts";
import type { HttpPolicy, HttpRequest, HttpResult } from "./http-client.ts";
import type { HttpJob } from "./http-worker.ts";

/**
 * Where the worker's code is: inside the compiled binary an extra entry point (build.ts), addressed
 * relative to the entry points' common root, src/; else the source file.
 */
function workerSpecifier(): string | URL {
  return isCompiled() ? "./plugins/host/http-worker.ts" : new URL("./http-worker.ts", import.meta.url);
}

/** How long a new worker may take to say it is ready; the thread waiting cannot see its error events. */
const WORKER_START_MS = 5000;

/** A request sent and not waited for yet: its answer arrives on `port` and wakes `signal`. */
interface InFlight {
  signal: Int32Array;
  port: MessagePort;
  deadlineMs: number;
}

/** A prefetched GET: the request and policy it was made with (as their JSON), and its answer on the way. */
interface Prefetched extends InFlight {
  key: string;
}

/**
 * Synchronous HTTP for host functions: blocks the calling thread until the worker answers or the
 * deadline passes. A worker that misses its deadline is replaced, so a stuck request cannot wedge
 * the next one. A GET may be prefetched (http_prefetch): sent now, not waited for, and its answer taken
 * by the next request that is the same request under the same policy, in this call or a later one of
 * this process; at most one is kept, and one no request takes is dropped when another replaces it.
 */
export class SyncHttp {
  private worker: { thread: Worker; ready: Int32Array; up: boolean } | undefined;
  private prefetched: Prefetched | undefined;

  /** Starts the worker's thread, not waiting for it: start() waits. */
  private begin(): void {
    if (this.worker) return;
    const ready = new Int32Array(new SharedArrayBuffer(4));
    this.worker = { thread: new Worker(workerSpecifier(), { workerData: { ready } }), ready, up: false };
  }

  /** The worker, once it said it is ready; undefined when it did not in time. */
  private start(): Worker | undefined {
    this.begin();
    const worker = this.worker!;
    if (!worker.up && Atomics.wait(worker.ready, 0, 0, WORKER_START_MS) === "timed-out") {
      this.stop();
      return undefined;
    }
    worker.up = true;
    return worker.thread;
  }

  private stop(): void {
    void this.worker?.thread.terminate();
    this.worker = undefined;
  }

  /** Starts the worker (which takes tens of milliseconds) while the caller goes on: the first request then finds it up. */
  warm(): void {
    this.begin();
  }

  /** Sends the request to the worker; the answer is waited for with wait(). */
  private send(request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): InFlight | undefined {
    const worker = this.start();
    if (!worker) return undefined;
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const job: HttpJob = { signal, port: port2, request, policy, debug };
    worker.postMessage(job, [port2]);
    // Every attempt has its own deadline inside the client, and redirects and retries share one budget of
    // attempts; this bounds them all. The daemon's time limit for the call still applies on top.
    return { signal, port: port1, deadlineMs: policy.timeoutMs * (policy.retries + policy.maxRedirects + 1) + 1000 };
  }

  private wait(sent: InFlight, url: string): { result: HttpResult; logs: string[] } {
    const woke = Atomics.wait(sent.signal, 0, 0, sent.deadlineMs);
    const message = receiveMessageOnPort(sent.port)?.message as { result: HttpResult; logs: string[] } | undefined;
    sent.port.close();
    if (woke === "timed-out" || !message) {
      this.stop();
      this.drop();
      return { result: { ok: false, error: { kind: "timeout", message: `HTTP request to ${url} got no answer within ${sent.deadlineMs} ms` } }, logs: [] };
    }
    return message;
  }

  request(request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): { result: HttpResult; logs: string[] } {
    const prefetched = this.prefetched;
    if (prefetched) {
      this.prefetched = undefined;
      if (prefetched.key === keyOf(request, policy, debug)) return this.wait(prefetched, request.url);
      prefetched.port.close();
    }
    const sent = this.send(request, policy, debug);
    if (!sent) return { result: { ok: false, error: { kind: "runtime", message: "the sandbox's HTTP worker did not start" } }, logs: [] };
    return this.wait(sent, request.url);
  }

  /** Sends a GET now, for a later request() of the same request and policy to take (see the class). */
  prefetch(request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): boolean {
    if (request.method !== "GET") return false;
    this.drop();
    const sent = this.send(request, policy, debug);
    if (!sent) return false;
    this.prefetched = { ...sent, key: keyOf(request, policy, debug) };
    return true;
  }

  /** Forgets the prefetched request: its answer, when it comes, goes nowhere. */
  private drop(): void {
    this.prefetched?.port.close();
    this.prefetched = undefined;
  }

  close(): void {
    this.drop();
    this.stop();
  }
}

/** What makes two requests the same for a prefetch: the request, the policy it is sent under, and whether it is logged. */
const keyOf = (request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): string => JSON.stringify([request, policy, debug]);
