// FileWindow: a stretch of the handed-over file in memory, loaded at any offset. A plugin that reads a
// large file a page at a time keeps only a window of it, not the whole file, in its memory.
import * as host from "./host";

export class FileWindow {
  /** The whole file's length in bytes, -1 when the call has no file. */
  fileLength: i32;
  /** File offset of the window's first byte. */
  offset: i32 = 0;
  /** Bytes in the window. */
  length: i32 = 0;
  private buffer: ArrayBuffer;

  /** `chunk`: how much a load reads at least; the window's buffer is reused while it is large enough. */
  constructor(private chunk: i32 = 1 << 20) {
    this.fileLength = host.file_length();
    this.buffer = new ArrayBuffer(0);
  }

  /**
   * Starts over on this call's file, keeping the buffer: a plugin that keeps its window from call to call
   * (in a module-level variable) reads every page into the same memory instead of growing its heap.
   */
  restart(): void {
    this.fileLength = host.file_length();
    this.offset = 0;
    this.length = 0;
  }

  /** Address of the window's first byte. */
  get dataStart(): usize {
    return changetype<usize>(this.buffer);
  }

  /** Address just past the window's last byte. */
  get dataEnd(): usize {
    return changetype<usize>(this.buffer) + <usize>this.length;
  }

  /** Whether the window reaches the end of the file. */
  get atEnd(): bool {
    return this.offset + this.length >= this.fileLength;
  }

  /** Loads the file from `offset` on: `atLeast` bytes (one chunk unless given), at most what is left. */
  load(offset: i32, atLeast: i32 = -1): void {
    const wanted = min(atLeast < 0 ? this.chunk : atLeast, max(this.fileLength - offset, 0));
    if (wanted > this.buffer.byteLength) this.buffer = new ArrayBuffer(wanted);
    this.offset = offset;
    this.length = wanted > 0 ? <i32>host.file_read(<u32>offset, changetype<usize>(this.buffer), <u32>wanted) : 0;
  }
}
