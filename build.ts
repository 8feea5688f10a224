/**
 * Builds Syncer: first-party plugins (AssemblyScript → .wasm, only when their sources changed), then
 * the daemon as one self-contained executable, dist/syncer (`bun build --compile`), which embeds its
 * migrations and everything else it needs. Run with `bun build.ts` (npm run build).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ASC_ENV, ASC_FLAGS } from "./src/plugins/build-flags.ts";

export { PLUGIN_MAX_MEMORY_PAGES } from "./src/plugins/build-flags.ts";

const ROOT = import.meta.dir;
const BIN = join(ROOT, "node_modules", ".bin");

/** The plugin SDK every first-party plugin compiles against. */
export const SDK_DIR = join(ROOT, "plugins", "sdk");

function filesUnder(dir: string, skip: (path: string) => boolean = () => false): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((entry) => join(dir, entry))
    .filter((path) => !skip(path) && statSync(path).isFile())
    .sort();
}

/** A fingerprint of files' paths and contents plus extra strings (tool versions, flags). */
function fingerprint(root: string, files: string[], extra: string[] = []): string {
  const hash = createHash("sha256");
  for (const item of extra) hash.update(item).update("\0");
  for (const file of files) hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function run(command: string[], cwd: string, env: Record<string, string> = {}): void {
  const result = Bun.spawnSync(command, { cwd, stdout: "inherit", stderr: "inherit", env: { ...process.env, ...env } });
  if (result.exitCode !== 0) throw new Error(`${command.slice(0, 2).join(" ")} failed with exit code ${result.exitCode}`);
}

/** Runs `produce` unless the stamp file says these inputs were already built into `outputs`. */
function whenChanged(stamp: string, inputs: string, outputs: string[], produce: () => void): boolean {
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === inputs && outputs.every((output) => existsSync(output))) return false;
  produce();
  writeFileSync(stamp, inputs);
  return true;
}

function ascVersion(): string {
  return JSON.parse(readFileSync(join(ROOT, "node_modules", "assemblyscript", "package.json"), "utf8")).version;
}

/**
 * Builds every plugin folder under `pluginsDir` that has an AssemblyScript entry (src/index.ts)
 * into build/plugin.wasm. Returns the idents that were (re)built.
 */
export function buildPlugins(pluginsDir: string, sharedSources: string[] = filesUnder(SDK_DIR)): string[] {
  if (!existsSync(pluginsDir)) return [];
  const built: string[] = [];
  for (const ident of readdirSync(pluginsDir).sort()) {
    const dir = join(pluginsDir, ident);
    const entry = join(dir, "src", "index.ts");
    if (!existsSync(entry)) continue;
    const buildDir = join(dir, "build");
    const wasm = join(buildDir, "plugin.wasm");
    const flags = ASC_FLAGS;
    const sources = [...filesUnder(dir, (path) => path.startsWith(buildDir)), ...sharedSources];
    const inputs = fingerprint(ROOT, sources, [ascVersion(), ...flags, JSON.stringify(ASC_ENV)]);
    mkdirSync(buildDir, { recursive: true });
    const rebuilt = whenChanged(join(buildDir, ".inputs"), inputs, [wasm], () => {
      // From the repository root, so asc finds the json-as transform in node_modules.
      run([join(BIN, "asc"), entry, "--outFile", wasm, ...flags], ROOT, ASC_ENV);
    });
    if (rebuilt) built.push(ident);
  }
  return built;
}

/** Compiles the daemon into one executable, unless nothing it is made of changed. */
export function compileDaemon(outfile = join(ROOT, "dist", "syncer")): boolean {
  const sources = [
    ...filesUnder(join(ROOT, "src")),
    // Built-in plugins are embedded: their manifests and modules are part of the binary.
    ...filesUnder(join(ROOT, "plugins"), (path) => path.endsWith("/.inputs")),
    join(ROOT, "package.json"),
    join(ROOT, "package-lock.json"),
  ];
  mkdirSync(join(ROOT, ".build-cache"), { recursive: true });
  const inputs = fingerprint(ROOT, sources, [Bun.version]);
  return whenChanged(join(ROOT, ".build-cache", "daemon.inputs"), inputs, [outfile], () => {
    // --bytecode: precompiled JavaScriptCore bytecode, a third of the start-up time (measured by bench/startup.ts).
    // The HTTP worker of sandbox processes is a second entry point, so `new Worker()` finds it inside the binary;
    // the CLI and the sandbox are entry points too, which main.ts imports once a process has started again (main.ts).
    const entries = ["main.ts", "cli/program.ts", "plugins/sandbox/child.ts", "plugins/host/http-worker.ts"].map((path) => join(ROOT, "src", path));
    run([process.execPath, "build", "--compile", "--minify", "--bytecode", "--sourcemap", ...entries, "--outfile", outfile], ROOT);
  });
}

if (import.meta.main) {
  const started = performance.now();
  const plugins = buildPlugins(join(ROOT, "plugins"));
  // `--fixtures`: the test fixtures' plugins too, before `bun test`, so no test's setup spends its time limit compiling them.
  if (process.argv.includes("--fixtures")) plugins.push(...buildPlugins(join(ROOT, "test", "fixtures", "plugins")));
  const compiled = compileDaemon();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `build: ${plugins.length ? `plugins ${plugins.join(", ")} rebuilt` : "plugins up to date"}; ` +
      `${compiled ? "dist/syncer compiled" : "dist/syncer up to date"} (${seconds}s)`,
  );
}
