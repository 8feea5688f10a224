/**
 * Framing between the daemon and a sandbox process over its stdin/stdout:
 *   u32 LE  length of the rest of the frame
 *   u32 LE  length of the header
 *   header  UTF-8 JSON (small: message type, ids, context)
 *   payload raw bytes (module, request, response), never re-encoded
 * Requests and answers are written after their frame head as they are; a frame that arrives in
 * several chunks is copied once out of them.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Frame<H = unknown> {
  header: H;
  payload: Uint8Array;
}

export function encodeFrame(header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = frameHead(header, payload.byteLength);
  const frame = new Uint8Array(head.byteLength + payload.byteLength);
  frame.set(head);
  frame.set(payload, head.byteLength);
  return frame;
}

/** Payloads from this size on are written after their frame head rather than copied into one frame. */
const SEPARATE_PAYLOAD_BYTES = 64 * 1024;

/**
 * A frame as the pieces to write in order: one buffer for a small payload (one write), the head and
 * the payload itself for a large one (a page of hosts crosses without being copied first).
 */
export function frameParts(header: unknown, payload: Uint8Array = new Uint8Array(0)): Uint8Array[] {
  return payload.byteLength < SEPARATE_PAYLOAD_BYTES ? [encodeFrame(header, payload)] : [frameHead(header, payload.byteLength), payload];
}

function frameHead(header: unknown, payloadLength: number): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const head = new Uint8Array(8 + json.byteLength);
  const view = new DataView(head.buffer);
  view.setUint32(0, 4 + json.byteLength + payloadLength, true);
  view.setUint32(4, json.byteLength, true);
  head.set(json, 8);
  return head;
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
