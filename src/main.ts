import { runCli } from "./cli/program.ts";

// `syncer hosts list | head`: a reader that stops early is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

// No top-level await: `bun build --compile --bytecode` needs a CommonJS-compatible entry.
runCli(process.argv).then((code) => {
  process.exitCode = code;
});
