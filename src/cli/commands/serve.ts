import type { Command } from "commander";
import { serve } from "../../daemon.ts";
import { configFor, loggerFor } from "../context.ts";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the daemon: HTTP API on [server] listen, database in [server] data_dir; stops on SIGTERM/SIGINT")
    .action(async (_options, command: Command) => {
      const config = configFor(command);
      await serve(config, loggerFor(config));
    });
}
