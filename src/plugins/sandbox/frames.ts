/**
 * Framing between the daemon and a sandbox process over its stdin/stdout. A frame is a message with
 * named sections, laid out as
 *   u32 LE  length of the rest of the frame
 *   u32 LE  length of the header
 *   header  UTF-8 JSON: the message, plus `sections`: [name, byte length] in the order they follow
 *   bytes   each section's bytes (module, request, answer, page hostnames…), never re-encoded
 * Only this file knows where a section starts: writers name their sections, readers ask for them by
 * name. Large sections are written after their frame head as they are; a frame that arrives in
 * several chunks is copied once out of them.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A frame's sections by name; a section may be given as parts, written one after another. */
export type Sections = Record<string, Uint8Array | Uint8Array[] | undefined>;

export interface Frame<H = unknown> {
  header: H;
  sections: Record<string, Uint8Array>;
}

/** Sections from this size on are written after their frame head rather than copied into one frame. */
const SEPARATE_SECTION_BYTES = 64 * 1024;

const byteLength = (parts: Uint8Array[]) => parts.reduce((sum, part) => sum + part.byteLength, 0);

/**
 * A frame as the pieces to write in order: one buffer when the sections are small (one write), else
 * the head and then each large section's parts themselves (a page of hosts crosses without being copied first).
 */
export function frameParts(message: object, sections: Sections = {}): Uint8Array[] {
  const present = Object.entries(sections)
    .filter((entry): entry is [string, Uint8Array | Uint8Array[]] => entry[1] !== undefined)
    .map(([name, value]): [string, Uint8Array[]] => [name, Array.isArray(value) ? value : [value]]);
  const layout = present.map(([name, parts]): [string, number] => [name, byteLength(parts)]);
  const bodyBytes = layout.reduce((sum, [, length]) => sum + length, 0);
  if (bodyBytes >= SEPARATE_SECTION_BYTES) return [frameHead(message, layout), ...present.flatMap(([, parts]) => parts)];
  const header = encoder.encode(JSON.stringify({ ...message, sections: layout }));
  const head = new Uint8Array(8 + header.byteLength + bodyBytes);
  const view = new DataView(head.buffer);
  view.setUint32(0, 4 + header.byteLength + bodyBytes, true);
  view.setUint32(4, header.byteLength, true);
  head.set(header, 8);
  let at = 8 + header.byteLength;
  for (const [, parts] of present) {
    for (const part of parts) {
      head.set(part, at);
      at += part.byteLength;
    }
  }
  return [head];
}

/** The head of a frame whose sections (name, byte length) are written after it, as they come (a large file, read a chunk at a time). */
export function frameHead(message: object, layout: [string, number][]): Uint8Array {
  const header = encoder.encode(JSON.stringify({ ...message, sections: layout }));
  const head = new Uint8Array(8 + header.byteLength);
  const view = new DataView(head.buffer);
  view.setUint32(0, 4 + header.byteLength + layout.reduce((sum, [, length]) => sum + length, 0), true);
  view.setUint32(4, header.byteLength, true);
  head.set(header, 8);
  return head;
}

/** The whole frame in one buffer. */
export function encodeFrame(message: object, sections: Sections = {}): Uint8Array {
  const parts = frameParts(message, sections);
  if (parts.length === 1) return parts[0]!;
  const frame = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    frame.set(part, at);
    at += part.byteLength;
  }
  return frame;
}

/** A frame's header and its sections' layout ([name, byte length] in order), out of the header's bytes. */
export function decodeHeader(bytes: Uint8Array): { header: unknown; layout: [string, number][] } {
  const { sections: layout, ...header } = JSON.parse(decoder.decode(bytes)) as { sections?: [string, number][] };
  return { header, layout: layout ?? [] };
}

/** The sections laid out by `layout`, as views of `bytes` (the frame's bytes after its header). */
export function sectionsIn(layout: [string, number][], bytes: Uint8Array): Record<string, Uint8Array> {
  const sections: Record<string, Uint8Array> = {};
  let at = 0;
  for (const [name, length] of layout) {
    if (at + length > bytes.byteLength) throw new Error(`frame section '${name}' (${length} bytes) runs past the frame's end`);
    sections[name] = bytes.subarray(at, at + length);
    at += length;
  }
  return sections;
}

/** A frame's header and sections, out of its body (the bytes after the leading length). */
export function decodeFrame(body: Uint8Array): Frame {
  const headerLength = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
  const { header, layout } = decodeHeader(body.subarray(4, 4 + headerLength));
  return { header, sections: sectionsIn(layout, body.subarray(4 + headerLength)) };
}

/** Reassembles frames from a byte stream delivered in arbitrary chunks. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private needed = -1;

  /** Adds bytes; returns every frame they complete. */
  push(chunk: Uint8Array): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Frame[] = [];
    for (;;) {
      if (this.needed < 0) {
        if (this.buffered < 4) break;
        const head = this.take(4);
        this.needed = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
      }
      if (this.buffered < this.needed) break;
      const body = this.take(this.needed);
      this.needed = -1;
      frames.push(decodeFrame(body));
    }
    return frames;
  }

  /** Removes and returns the first n buffered bytes, concatenating chunks only when a frame spans several. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.byteLength >= n) {
      const out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.byteLength, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    this.buffered -= n;
    return out;
  }
}
