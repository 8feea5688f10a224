import { Argument, type Command } from "commander";
import { completionScript, SHELLS, type Shell } from "../completion.ts";
import { VERSION } from "../../core/version.ts";

export function registerCompletion(program: Command, completed: () => Command): void {
  program
    .command("completion")
    .description("print a shell completion script for bash, zsh or fish (commands, options, the built-in plugins' commands)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText("after", "\nbash: source <(syncer completion bash)   zsh: source <(syncer completion zsh)   fish: syncer completion fish | source")
    .action((shell: Shell) => {
      // Written as is: a script is code, and redaction must not touch it.
      process.stdout.write(completionScript(shell, completed(), VERSION));
    });
}
