/**
 * Framing between the daemon and a sandbox process over its stdin/stdout:
 *   u32 LE  length of the rest of the frame
 *   u32 LE  length of the header
 *   header  UTF-8 JSON (small: message type, ids, context)
 *   payload raw bytes (module, request, response), never re-encoded
 * Large payloads are copied once into the frame and once out of it.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Frame<H = unknown> {
  header: H;
  payload: Uint8Array;
}

export function encodeFrame(header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = encoder.encode(JSON.stringify(header));
  const frame = new Uint8Array(8 + head.byteLength + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, 4 + head.byteLength + payload.byteLength, true);
  view.setUint32(4, head.byteLength, true);
  frame.set(head, 8);
  frame.set(payload, 8 + head.byteLength);
  return frame;
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
      const headerLength = new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
      frames.push({
        header: JSON.parse(decoder.decode(body.subarray(4, 4 + headerLength))),
        payload: body.subarray(4 + headerLength),
      });
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
