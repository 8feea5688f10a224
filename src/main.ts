import { commandPlugin } from "./cli/short-form.ts";
import { keepFreedMemory } from "./core/execute-again.ts";
import { isCompiled, selfCommand, sourceRoot } from "./core/runtime-info.ts";
import { startEarlySandbox } from "./plugins/sandbox/early.ts";

/**
 * `syncer hosts list | head`: a reader that stops early is not an error. Set in the start that runs:
 * process.stdout is made on first use, a cost the first start of one that starts again need not pay.
 */
const endQuietlyOnClosedPipe = () =>
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });

// Each path loads only its own modules: a sandbox process (started by the daemon, one per busy plugin)
// needs the plugin host and none of the CLI, HTTP or database code, which take most of a start.
// Compiled, the CLI and the sandbox are entry points of their own (build.ts), imported by a path the
// bundler does not follow: this entry holds only what a first start needs before it starts again
// (with the allocator's setting, or confined), so that start does not load the whole program.
// No top-level await: `bun build --compile --bytecode` needs a CommonJS-compatible entry.
const part = (path: string): string => (isCompiled() ? path : new URL(path, import.meta.url).href);
const args = process.argv.slice(2);
if (args[0] === "__sandbox") {
  // The first start only confines itself and starts again (confine.ts): the plugin host loads in the second.
  void Promise.all([import("./plugins/sandbox/linux.ts"), import("./plugins/sandbox/confine.ts")])
    .then(([{ dieWithParent }, { confineSandbox }]) => {
      dieWithParent();
      return confineSandbox([...selfCommand(), "__sandbox"], sourceRoot());
    })
    .then((confinement) => {
      endQuietlyOnClosedPipe();
      return (import(part("./plugins/sandbox/child.ts")) as Promise<typeof import("./plugins/sandbox/child.ts")>).then(({ runSandbox }) => runSandbox(confinement));
    });
} else {
  // Every command but the daemon is a process that ends soon: it keeps the memory it frees (its sandboxes inherit it).
  if (!args.includes("serve")) keepFreedMemory();
  endQuietlyOnClosedPipe();
  // A plugin's command will want a sandbox process: it starts now, while the CLI loads (early.ts).
  const plugin = commandPlugin(args);
  if (plugin !== undefined) startEarlySandbox(selfCommand(), plugin);
  void (import(part("./cli/program.ts")) as Promise<typeof import("./cli/program.ts")>).then(({ runCli }) =>
    runCli(process.argv).then((code) => {
      process.exitCode = code;
    }),
  );
}
