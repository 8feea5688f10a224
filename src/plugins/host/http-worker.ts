/**
 * The HTTP worker of a sandbox process. A plugin's host function call is synchronous (Extism foreground
 * mode), so the sandbox's main thread blocks in Atomics.wait while this worker performs the request
 * with the async HTTP client, posts the result on a MessagePort and wakes it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { performHttp, type HttpPolicy, type HttpRequest } from "./http-client.ts";

export interface HttpJob {
  signal: Int32Array;
  port: MessagePort;
  request: HttpRequest;
  policy: Omit<HttpPolicy, "log">;
  debug: boolean;
}

/** Tells the waiting thread that this worker is up (see SyncHttp.start). */
const ready = (workerData as { ready?: Int32Array } | undefined)?.ready;
if (ready) {
  Atomics.store(ready, 0, 1);
  Atomics.notify(ready, 0);
}

parentPort?.on("message", async (job: HttpJob) => {
  const logs: string[] = [];
  const result = await performHttp(job.request, { ...job.policy, log: job.debug ? (line) => logs.push(line) : undefined });
  // A body's bytes move to the waiting thread, not copied: in a buffer of their own (a small one may share Buffer's pool).
  let moved: ArrayBuffer[] = [];
  if (result.ok && result.bytes) {
    const bytes = result.bytes;
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || !(bytes.buffer instanceof ArrayBuffer)) result.bytes = bytes.slice();
    moved = [result.bytes.buffer as ArrayBuffer];
  }
  job.port.postMessage({ result, logs }, moved);
  job.port.close();
  Atomics.store(job.signal, 0, 1);
  Atomics.notify(job.signal, 0);
});
