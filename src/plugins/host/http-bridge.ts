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

/**
 * Synchronous HTTP for host functions: blocks the calling thread until the worker answers or the
 * deadline passes. A worker that misses its deadline is replaced, so a stuck request cannot wedge
 * the next one.
 */
export class SyncHttp {
  private worker: Worker | undefined;

  private start(): Worker | undefined {
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerSpecifier(), { workerData: { ready } });
    if (Atomics.wait(ready, 0, 0, WORKER_START_MS) === "timed-out") {
      void worker.terminate();
      return undefined;
    }
    return worker;
  }

  request(request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): { result: HttpResult; logs: string[] } {
    this.worker ??= this.start();
    if (!this.worker) return { result: { ok: false, error: { kind: "runtime", message: "the sandbox's HTTP worker did not start" } }, logs: [] };
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const job: HttpJob = { signal, port: port2, request, policy, debug };
    this.worker.postMessage(job, [port2]);
    // Every attempt has its own deadline inside the client, and redirects and retries share one budget of
    // attempts; this bounds them all. The daemon's time limit for the call still applies on top.
    const deadline = policy.timeoutMs * (policy.retries + policy.maxRedirects + 1) + 1000;
    const woke = Atomics.wait(signal, 0, 0, deadline);
    const message = receiveMessageOnPort(port1)?.message as { result: HttpResult; logs: string[] } | undefined;
    port1.close();
    if (woke === "timed-out" || !message) {
      void this.worker.terminate();
      this.worker = undefined;
      return { result: { ok: false, error: { kind: "timeout", message: `HTTP request to ${request.url} got no answer within ${deadline} ms` } }, logs: [] };
    }
    return message;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
