import { runCli } from "./cli/program.ts";

// No top-level await: `bun build --compile --bytecode` needs a CommonJS-compatible entry.
runCli(process.argv).then((code) => {
  process.exitCode = code;
});
