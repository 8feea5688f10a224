import { commandPlugin } from "./cli/short-form.ts";
import { keepFreedMemory } from "./core/execute-again.ts";
import { selfCommand, sourceRoot } from "./core/runtime-info.ts";
import { startEarlySandbox } from "./plugins/sandbox/early.ts";

// `syncer hosts list | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

// Each path loads only its own modules: a sandbox process (started by the daemon, one per busy plugin)
// needs the plugin host and none of the CLI, HTTP or database code, which take most of a start.
// No top-level await: `bun build --compile --bytecode` needs a CommonJS-compatible entry.
const args = process.argv.slice(2);
if (args[0] === "__sandbox") {
  // The first start only confines itself and starts again (confine.ts): the plugin host loads in the second.
  void Promise.all([import("./plugins/sandbox/linux.ts"), import("./plugins/sandbox/confine.ts")])
    .then(([{ dieWithParent }, { confineSandbox }]) => {
      dieWithParent();
      return confineSandbox([...selfCommand(), "__sandbox"], sourceRoot());
    })
    .then((confinement) => import("./plugins/sandbox/child.ts").then(({ runSandbox }) => runSandbox(confinement)));
} else {
  // Every command but the daemon is a process that ends soon: it keeps the memory it frees (its sandboxes inherit it).
  if (!args.includes("serve")) keepFreedMemory();
  // A plugin's command will want a sandbox process: it starts now, while the CLI loads (early.ts).
  const plugin = commandPlugin(args);
  if (plugin !== undefined) startEarlySandbox(selfCommand(), plugin);
  void import("./cli/program.ts").then(({ runCli }) =>
    runCli(process.argv).then((code) => {
      process.exitCode = code;
    }),
  );
}
