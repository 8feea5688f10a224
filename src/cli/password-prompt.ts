import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { SyncerError } from "../core/errors.ts";

/** Reads a line from the terminal without echoing it (the prompt is shown, what is typed is not). */
function promptHidden(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const reader = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    reader.question(prompt, (answer) => {
      reader.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    reader.on("SIGINT", () => {
      reader.close();
      process.stderr.write("\n");
      reject(new SyncerError("usage", "cancelled"));
    });
    muted = true;
  });
}

/** Standard input as text, once it ends. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A new password, never from the command line (it would sit in the shell history and in `ps`): typed
 * twice at a terminal without echo, or read from standard input when that is a pipe or a file (its
 * first line; `printf '%s' "$PW" | syncer users create …`).
 */
export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const text = await readStdin();
    const line = text.split(/\r?\n/)[0] ?? "";
    if (line === "") throw new SyncerError("usage", "no password on standard input: pipe it in (its first line is read) or run this at a terminal to be asked");
    return line;
  }
  const first = await promptHidden("new password: ");
  const second = await promptHidden("the same again: ");
  if (first !== second) throw new SyncerError("usage", "the two passwords differ; nothing changed");
  return first;
}
