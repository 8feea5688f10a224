// The file's records one after another, read through a window of the file that moves (and grows for
// a record larger than it) as the scan goes on; blank lines are skipped and line numbers kept.
import { FileWindow } from "../../sdk/index";
import { RecordScanner, Scan } from "./scanner";

/** How much of the file is in memory at a time; a page of 10,000 typical rows fits in one. */
const WINDOW_BYTES: i32 = 1 << 20;
/** The first read of a call, for the header line: usually a few hundred bytes (more is read when it is longer). */
const HEADER_BYTES: i32 = 1 << 16;

export class RecordStream {
  readonly scanner: RecordScanner;
  private window: FileWindow = new FileWindow(WINDOW_BYTES);
  /** Address of the next record to scan, inside the window. */
  private at: usize = 0;
  /** Line number of the next record. */
  private row: i32 = 1;
  /** File offset and line number of the record nextRecord() found. */
  recordOffset: i32 = 0;
  recordRow: i32 = 0;

  constructor(delimiter: u8) {
    this.scanner = new RecordScanner(delimiter);
  }

  /**
   * Starts over on this call's file with `delimiter`, keeping the window's memory: the plugin keeps one
   * stream from call to call, and its heap (never freed under the stub runtime) stays the same size.
   */
  restart(delimiter: u8): void {
    this.window.restart();
    this.scanner.delimiter = delimiter;
    this.at = this.window.dataStart;
    this.row = 1;
  }

  get fileLength(): i32 {
    return this.window.fileLength;
  }

  /** Moves to `offset` in the file, where the record on line `row` starts; `header`: only the start of the file is wanted. */
  seek(offset: i32, row: i32, header: bool = false): void {
    this.window.load(offset, header ? HEADER_BYTES : WINDOW_BYTES);
    this.at = this.window.dataStart;
    this.row = row;
  }

  /** Whether the next bytes are a UTF-8 byte order mark (EF BB BF). */
  atByteOrderMark(): bool {
    const at = this.at;
    return at + 3 <= this.window.dataEnd && load<u8>(at) == 0xef && load<u8>(at, 1) == 0xbb && load<u8>(at, 2) == 0xbf;
  }

  /** Passes over the next `count` bytes (within the window). */
  skipBytes(count: i32): void {
    this.at += <usize>count;
  }

  /** The file offset of an address inside the window. */
  offsetOf(address: usize): i32 {
    return this.window.offset + <i32>(address - this.window.dataStart);
  }

  /**
   * Finds the next record (fields in `scanner`, which stay valid until the next call): Record, End,
   * or a problem (Unterminated, StrayAfterQuote) at recordRow.
   */
  nextRecord(): Scan {
    const scanner = this.scanner;
    while (true) {
      const status = scanner.scan(this.at, this.window.dataEnd, this.window.atEnd);
      if (status == Scan.Incomplete) {
        // Reload from this record on: a chunk, or twice what the record has taken so far.
        const taken = <i32>(this.window.dataEnd - this.at);
        this.window.load(this.offsetOf(this.at), max(WINDOW_BYTES, taken << 1));
        this.at = this.window.dataStart;
        continue;
      }
      this.recordOffset = this.offsetOf(this.at);
      this.recordRow = this.row;
      if (status == Scan.Record || status == Scan.Blank) {
        this.at = scanner.next;
        this.row += scanner.lines;
      }
      if (status != Scan.Blank) return status;
    }
  }
}
