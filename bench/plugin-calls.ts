/**
 * Plugin call costs, through the real runtime: daemon → sandbox process → wasm → back.
 *  1. Small call round trip (echo of a ~200-byte request): median and p99, against the bare IPC round
 *     trip of the same framing to a process that answers without wasm (the floor of the design).
 *  2. 100k host records (≈ 7 MB JSON) into a plugin, transformed, and back, against the same transform
 *     in plain TypeScript (JSON.parse, loop, JSON.stringify) in this process.
 * Goals (issue 3): small call ≤ 100 µs median; 100k round trip ≤ 5× the native transform.
 * Run: `bun bench/plugin-calls.ts` after `npm run build`.
 */
import { buildFixturePlugins, pluginHarness, SANDBOX_COMMANDS } from "../test/helpers/plugins.ts";
import { encodeFrame, FrameReader } from "../src/plugins/sandbox/frames.ts";
import { median, quantile } from "./lib.ts";

buildFixturePlugins();
const harness = pluginHarness("[sandbox]\nprocesses = 1\nmax_output_mb = 64\n", { command: SANDBOX_COMMANDS.compiled });

// --- 1. small calls
const SMALL = 20_000;
await harness.call("testkit", "echo", { input: { warm: true } });
const plugin: number[] = [];
for (let i = 0; i < SMALL; i++) {
  const started = performance.now();
  const result = await harness.call("testkit", "echo", { input: { i } });
  plugin.push((performance.now() - started) * 1000);
  if (!result.ok) throw new Error(JSON.stringify(result));
}

// The floor: the same frames to a child that echoes them back without wasm.
const echoSource = `
import { encodeFrame, FrameReader } from ${JSON.stringify(new URL("../src/plugins/sandbox/frames.ts", import.meta.url).pathname)};
const reader = new FrameReader(); const out = Bun.stdout.writer();
for await (const chunk of Bun.stdin.stream()) for (const f of reader.push(chunk)) { out.write(encodeFrame(f.header as object, f.sections)); await out.flush(); }`;
const echoFile = `${import.meta.dir}/.ipc-echo.ts`;
await Bun.write(echoFile, echoSource);
const child = Bun.spawn([process.execPath, echoFile], { stdin: "pipe", stdout: "pipe" });
const reader = new FrameReader();
const stream = child.stdout.getReader();
const payload = new TextEncoder().encode(JSON.stringify({ api_version: 1, plugin: "testkit", command: "echo", account: null, dry_run: false, input: { i: 0 } }));
const ipc: number[] = [];
for (let i = 0; i < SMALL; i++) {
  const started = performance.now();
  child.stdin.write(encodeFrame({ type: "call", id: i }, { request: payload }));
  await child.stdin.flush();
  let frames: unknown[] = [];
  while (frames.length === 0) frames = reader.push((await stream.read()).value!);
  ipc.push((performance.now() - started) * 1000);
}
child.kill();
await Bun.file(echoFile).delete();

console.log(`small call round trip, ${SMALL} calls (µs):`);
console.log(`  plugin echo via sandbox  median ${median(plugin).toFixed(1)}  p99 ${quantile(plugin, 0.99).toFixed(1)}`);
console.log(`  bare IPC echo (floor)    median ${median(ipc).toFixed(1)}  p99 ${quantile(ipc, 0.99).toFixed(1)}`);
console.log(`  ratio (median)           ${(median(plugin) / median(ipc)).toFixed(2)}x   goal: median ≤ 100 µs`);

// --- 2. 100k records
const records = Array.from({ length: 100_000 }, (_, i) => ({ hostname: `host${i}.example.com`, labels: { site: `fra${i % 10}`, role: "web", os: "linux" } }));
const batch = { records };
console.log(`100k records: ${(JSON.stringify(batch).length / 1e6).toFixed(1)} MB of JSON each way`);
const wasm: number[] = [];
const wasmBytes: number[] = [];
const native: number[] = [];
for (let round = 0; round < 11; round++) {
  let started = performance.now();
  const result = await harness.call("testkit", "transform", { input: batch });
  const wasmMs = performance.now() - started;
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  started = performance.now();
  const fast = await harness.call("testkit", "transform_bytes", { input: batch });
  const wasmBytesMs = performance.now() - started;
  if (!fast.ok) throw new Error(JSON.stringify(fast.error));
  started = performance.now();
  const copy = JSON.parse(JSON.stringify({ api_version: 1, input: batch })).input as typeof batch;
  for (const record of copy.records) {
    record.hostname = record.hostname.toUpperCase();
    (record.labels as Record<string, string>).seen = "yes";
  }
  JSON.parse(JSON.stringify(copy));
  const nativeMs = performance.now() - started;
  if (round > 0) {
    wasm.push(wasmMs);
    wasmBytes.push(wasmBytesMs);
    native.push(nativeMs);
  }
}
console.log(`  same transform in TypeScript          median ${median(native).toFixed(0)} ms (serialise, parse, transform, serialise, parse)`);
console.log(`  plugin, SDK JsonReader/JsonWriter     median ${median(wasmBytes).toFixed(0)} ms   ratio ${(median(wasmBytes) / median(native)).toFixed(2)}x   goal: ≤ 5x`);
console.log(`  plugin, json-as classes               median ${median(wasm).toFixed(0)} ms   ratio ${(median(wasm) / median(native)).toFixed(2)}x`);
harness.close();
