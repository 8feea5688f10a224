import { readSync, writeSync } from "node:fs";
import type { HostsReadSchema } from "../abi.ts";
import type { PluginData } from "../host/plugin-data.ts";
import type { HostAnswerMessage, HostCallName } from "../protocol.ts";
import { decodeHeader, frameParts, sectionsIn, type Frame, type Sections } from "./frames.ts";
import type * as v from "valibot";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pause = new Int32Array(new SharedArrayBuffer(4));

/** errno names that mean "not now": stdin or stdout non-blocking where the channel could not be made blocking (readyChannel). */
const wouldBlock = (error: unknown) => (error as { code?: string }).code === "EAGAIN" || (error as { code?: string }).code === "EWOULDBLOCK";

/**
 * The sandbox's end of its channel to the daemon (stdin, stdout), read and written synchronously: a host function in the middle of a
 * plugin call (wasm cannot wait for a promise) asks the daemon and blocks until the answer frame
 * arrives, and between calls there is nothing else for the process to do while it waits.
 */
export class StdioFrames {
  private readonly word = new Uint8Array(4);
  /** What a call's frame is read into, used again for the next call's: grown to the largest page, never given back. */
  private reused = new Uint8Array(0);
  /** Frames that came while a host call waited for its answer (the daemon's next call, sent ahead), in order. */
  private readonly deferred: Frame[] = [];

  /**
   * The next frame from the daemon, or undefined once it closed stdin. A call's sections are read into
   * one buffer used again for every call (a fresh megabyte per page was a fresh megabyte of memory for
   * the kernel to fault in, page after page, until the collector came round): they are views valid
   * until the next frame is read, when the call is over. Other frames (the module, a handed-over file,
   * which is kept) are read into a buffer of their own.
   */
  next(): Frame | undefined {
    return this.deferred.shift() ?? this.read(true);
  }

  /** The answer to the host call just sent; frames before it wait for next(), each in a buffer of its own. */
  answer(): Frame | undefined {
    for (let frame = this.read(false); frame; frame = this.read(false)) {
      if ((frame.header as { type?: string }).type === "host_answer") return frame;
      this.deferred.push(frame);
    }
    return undefined;
  }

  /** A frame: its length, its header (whose type says where the sections go), then its sections. */
  private read(reuse: boolean): Frame | undefined {
    if (!this.fill(this.word)) return undefined;
    const bodyLength = this.wordValue();
    this.fillAll(this.word);
    const headerLength = this.wordValue();
    const headerBytes = new Uint8Array(headerLength);
    this.fillAll(headerBytes);
    const { header, layout } = decodeHeader(headerBytes);
    const sectionBytes = bodyLength - 4 - headerLength;
    if (sectionBytes < 0) throw new Error("a frame from the daemon is shorter than its header");
    let into: Uint8Array;
    if (reuse && (header as { type?: string }).type === "call") {
      if (this.reused.byteLength < sectionBytes) this.reused = new Uint8Array(sectionBytes);
      into = this.reused.subarray(0, sectionBytes);
    } else {
      into = new Uint8Array(sectionBytes);
    }
    this.fillAll(into);
    return { header, sections: sectionsIn(layout, into) };
  }

  private wordValue(): number {
    return new DataView(this.word.buffer).getUint32(0, true);
  }

  /** Fills `into` from stdin; the daemon closing it first is an error. */
  private fillAll(into: Uint8Array): void {
    if (into.byteLength > 0 && !this.fill(into)) throw new Error("the daemon closed stdin in the middle of a frame");
  }

  /** Fills `into` from stdin; false when it is closed before the first byte. */
  private fill(into: Uint8Array): boolean {
    for (let filled = 0; filled < into.byteLength; ) {
      const read = this.readSome(into, filled);
      if (read === 0) {
        if (filled === 0) return false;
        throw new Error("the daemon closed stdin in the middle of a frame");
      }
      filled += read;
    }
    return true;
  }

  send(message: object, sections?: Sections): void {
    for (const part of frameParts(message, sections)) {
      for (let written = 0; written < part.byteLength; ) {
        try {
          written += writeSync(1, part, written);
        } catch (error) {
          if (!wouldBlock(error)) throw error;
          Atomics.wait(pause, 0, 0, 1);
        }
      }
    }
  }

  private readSome(into: Uint8Array, at: number): number {
    for (;;) {
      try {
        return readSync(0, into, at, into.byteLength - at, null);
      } catch (error) {
        if (!wouldBlock(error)) throw error;
        Atomics.wait(pause, 0, 0, 1);
      }
    }
  }
}

/**
 * PluginData in the sandbox: every read and write is a host call answered by the daemon, which keeps
 * the data. A failure comes back as an Error, which the host function turns into the plugin's error
 * envelope.
 */
export class DaemonLink implements PluginData {
  constructor(
    private readonly io: StdioFrames,
    private readonly callId: () => number,
  ) {}

  private ask(name: HostCallName, args: unknown): unknown {
    this.io.send({ type: "host_call", id: this.callId(), name }, { body: encoder.encode(JSON.stringify(args)) });
    const frame = this.io.answer();
    if (!frame) throw new Error(`the daemon closed the pipe while ${name} waited for its answer`);
    const answer = frame.header as HostAnswerMessage;
    if (!answer.ok) throw new Error(answer.error ?? `${name} failed in the daemon`);
    return JSON.parse(decoder.decode(frame.sections.body));
  }

  kvGet(key: string): string | undefined {
    const value = this.ask("kv_get", { key });
    return typeof value === "string" ? value : undefined;
  }

  kvSet(key: string, value: string, ttlSeconds: number | undefined): void {
    this.ask("kv_set", ttlSeconds === undefined ? { key, value } : { key, value, ttl_seconds: ttlSeconds });
  }

  emitEvent(type: string, data: unknown): void {
    this.ask("event_emit", { type, data });
  }

  readHosts(query: v.InferOutput<typeof HostsReadSchema>): unknown {
    return this.ask("hosts_read", query);
  }
}
