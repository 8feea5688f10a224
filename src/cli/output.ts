import { createColors } from "picocolors";
import { SyncerError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";

/** Exit codes, documented in `syncer --help`. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Colour only when a person is watching: stdout is a TTY and NO_COLOR is not set. */
export const color = createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb");
const errorColor = createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb");

export function printLine(text = ""): void {
  process.stdout.write(redact(text) + "\n");
}

/** A flat map as `key=value key=value` (labels, inventory) on one line. */
export function formatPairs(map: Record<string, unknown>): string {
  return Object.entries(map)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

export function printJson(value: unknown): void {
  process.stdout.write(redact(JSON.stringify(value, null, 2)) + "\n");
}

/**
 * Writes output made of pieces (a large inventory, a chunk at a time) to stdout one after another,
 * without joining them, each flushed before the next is asked for: what is held is a piece or two,
 * however long the output, and the producer may fill the same buffer again for the next. A reader that stops early ends the process quietly, as it does for
 * process.stdout (main.ts).
 */
export async function writePieces(pieces: Iterable<string | Uint8Array>): Promise<void> {
  const out = Bun.stdout.writer();
  try {
    for (const piece of pieces) {
      out.write(piece);
      await out.flush();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  }
}

/** The single place a failure is shown: one message, no stack; JSON on stdout when --json was asked for. */
export function reportError(error: SyncerError, json: boolean): void {
  if (json) {
    printJson({ ok: false, error: { kind: error.kind, message: error.message, ...(error.details ? { details: error.details } : {}) } });
    return;
  }
  process.stderr.write(`${errorColor.red(errorColor.bold("error:"))} ${redact(error.message)}\n`);
}

export function warnLine(text: string): void {
  process.stderr.write(`${errorColor.yellow("warning:")} ${redact(text)}\n`);
}
