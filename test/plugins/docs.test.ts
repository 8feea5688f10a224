// docs/plugins.md's AssemblyScript: every block marked `ts compile` is compiled against the SDK, as a
// scaffolded plugin is (src/index.ts beside a vendored sdk/), with the build settings of every plugin.
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ASC_ENV, ASC_FLAGS } from "../../src/plugins/build-flags.ts";
import { tempDir } from "../helpers/binary.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const GUIDE = readFileSync(join(ROOT, "docs", "plugins.md"), "utf8");

/** The guide's compilable blocks, with the line each starts on. */
function compilableBlocks(markdown: string): { line: number; source: string }[] {
  const blocks: { line: number; source: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```ts compile") continue;
    const end = lines.indexOf("```", i + 1);
    blocks.push({ line: i + 1, source: lines.slice(i + 1, end).join("\n") + "\n" });
    i = end;
  }
  return blocks;
}

test("the guide has compilable blocks for the importer, the exporter and the JSON reader", () => {
  const sources = compilableBlocks(GUIDE).map((block) => block.source);
  expect(sources.length).toBeGreaterThanOrEqual(4);
  expect(sources.some((source) => source.includes("runImport("))).toBe(true);
  expect(sources.some((source) => source.includes("runExport("))).toBe(true);
  expect(sources.some((source) => source.includes("JsonReader.fromBytes("))).toBe(true);
});

for (const block of compilableBlocks(GUIDE)) {
  test(`docs/plugins.md:${block.line} compiles against the SDK`, () => {
    const dir = tempDir();
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "index.ts"), block.source);
    symlinkSync(join(ROOT, "plugins", "sdk"), join(dir, "sdk"));
    // Optimised as little as possible: this checks the code, not its speed.
    const flags = ASC_FLAGS.map((flag) => (flag === "-O3" ? "-O0" : flag));
    const asc = Bun.spawnSync([join(ROOT, "node_modules", ".bin", "asc"), join(dir, "src", "index.ts"), "--outFile", join(dir, "plugin.wasm"), ...flags], {
      cwd: ROOT,
      env: { ...process.env, ...ASC_ENV },
      stdout: "pipe",
      stderr: "pipe",
    });
    const errors = asc.stderr.toString().split("\n").filter((line) => /ERROR|error/.test(line));
    expect({ code: asc.exitCode, errors }).toEqual({ code: 0, errors: [] });
  }, COMPILE_TIMEOUT_MS);
}
