/** Runs every benchmark in bench/ in turn (`npm run bench`). Each prints its own ratios against a baseline. */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const benches = readdirSync(import.meta.dir).filter((name) => name.endsWith(".ts") && !["run.ts", "lib.ts"].includes(name));
/** scale.ts defaults to a million hosts (minutes, GBs): here at 100k; run it by hand for 1M. */
const ARGS: Record<string, string[]> = { "scale.ts": ["--hosts", "100000"] };
let failed = 0;
for (const bench of benches.sort()) {
  console.log(`\n== ${bench}`);
  const result = Bun.spawnSync([process.execPath, join(import.meta.dir, bench), ...(ARGS[bench] ?? [])], { stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) failed++;
}
process.exit(failed ? 1 : 0);
