/** Small helpers shared by the benchmarks: quantiles and a uniform report line. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const median = (values: number[]) => quantile(values, 0.5);

export function report(name: string, value: number, baseline: number, unit: string): void {
  console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(8)} ${unit}   baseline ${baseline.toFixed(1).padStart(8)} ${unit}   ratio ${(value / baseline).toFixed(2)}x`);
}

/** A port that is free right now on loopback. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}
