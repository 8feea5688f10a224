import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { isCompiled } from "../../runtime-info.ts";
import type { HttpPolicy, HttpRequest, HttpResult } from "./http-client.ts";
import type { HttpJob } from "./http-worker.ts";

/** Where the worker's code is: an extra entry point inside the compiled binary (build.ts), else the source. */
function workerSpecifier(): string | URL {
  return isCompiled() ? "./src/plugins/host/http-worker.ts" : new URL("./http-worker.ts", import.meta.url);
}

/**
 * Synchronous HTTP for host functions: blocks the calling thread until the worker answers or the
 * deadline passes. A worker that misses its deadline is replaced, so a stuck request cannot wedge
 * the next one.
 */
export class SyncHttp {
  private worker: Worker | undefined;

  request(request: HttpRequest, policy: Omit<HttpPolicy, "log">, debug: boolean): { result: HttpResult; logs: string[] } {
    this.worker ??= new Worker(workerSpecifier());
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const job: HttpJob = { signal, port: port2, request, policy, debug };
    this.worker.postMessage(job, [port2]);
    // Every attempt has its own deadline inside the client; this bounds the whole request with its retries.
    const deadline = policy.timeoutMs * (policy.retries + 1) * (policy.maxRedirects + 1) + 1000;
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
