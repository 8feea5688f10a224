// RFC 4180 record splitting over bytes: one call finds one record's fields in a stretch of the file,
// as pointers into it, without copying. Delimiters, quotes and line breaks are ASCII in every encoding
// this plugin reads, so the scan is the same for all of them.

export enum Scan {
  /** A record: its fields are in the scanner, `next` is where the following one starts. */
  Record,
  /** An empty line, skipped. */
  Blank,
  /** The stretch ends inside the record: scan it again with more of the file. */
  Incomplete,
  /** Nothing left. */
  End,
  /** A quoted field runs to the end of the file. */
  Unterminated,
  /** Something other than a delimiter or a line break follows a closing quote. */
  StrayAfterQuote,
}

// @ts-ignore: decorator
@inline const QUOTE: u8 = 0x22;
// @ts-ignore: decorator
@inline const LF: u8 = 0x0a;
// @ts-ignore: decorator
@inline const CR: u8 = 0x0d;

/** A field holds doubled quotes ("") that stand for one quote each. */
export const FIELD_DOUBLED_QUOTES: u8 = 1;

export class RecordScanner {
  /** Fields of the last record: [fieldStart[i], fieldEnd[i]) are the bytes (inside the quotes of a quoted field). */
  fieldStart: StaticArray<usize> = new StaticArray<usize>(64);
  fieldEnd: StaticArray<usize> = new StaticArray<usize>(64);
  fieldFlags: StaticArray<u8> = new StaticArray<u8>(64);
  count: i32 = 0;
  /** Where the next record starts. */
  next: usize = 0;
  /** Line breaks the record spans, its terminator included: the next record's row is this record's + lines. */
  lines: i32 = 0;
  /** Where an Unterminated or StrayAfterQuote problem is. */
  problemAt: usize = 0;

  constructor(public delimiter: u8) {}

  /** Scans the record starting at p; `end` is the end of the bytes at hand, `final` whether the file ends there too. */
  scan(p: usize, end: usize, final: bool): Scan {
    this.count = 0;
    this.lines = 0;
    if (p >= end) return final ? Scan.End : Scan.Incomplete;
    const first = load<u8>(p);
    if (first == LF || first == CR) return this.lineBreak(p, end, final) ? Scan.Blank : Scan.Incomplete;
    const delimiter = this.delimiter;
    while (true) {
      // Blanks before an opening quote are tolerated, as after a closing one ("a", "b").
      let opening = p;
      while (opening < end && isBlank(load<u8>(opening)) && load<u8>(opening) != delimiter) opening++;
      if (opening < end && load<u8>(opening) == QUOTE) {
        p = opening;
        const start = p + 1;
        const q = this.closingQuote(start, end);
        if (q >= end) {
          this.problemAt = p;
          return final ? Scan.Unterminated : Scan.Incomplete;
        }
        if (q + 1 >= end && !final) return Scan.Incomplete; // a second quote may follow
        const flags = this.doubledQuotes ? FIELD_DOUBLED_QUOTES : 0;
        this.push(start, q, flags);
        p = q + 1;
        // Blanks after the closing quote are tolerated too (a delimiter may itself be a tab).
        while (p < end && isBlank(load<u8>(p)) && load<u8>(p) != delimiter) p++;
      } else {
        const start = p;
        p = this.unquotedEnd(p, end);
        this.push(start, p, 0);
      }
      if (p >= end) {
        if (!final) return Scan.Incomplete;
        this.next = end;
        return Scan.Record;
      }
      const c = load<u8>(p);
      if (c == delimiter) {
        p++;
        continue;
      }
      if (c == LF || c == CR) return this.lineBreak(p, end, final) ? Scan.Record : Scan.Incomplete;
      this.problemAt = p;
      return Scan.StrayAfterQuote;
    }
  }

  /** Where an unquoted field starting at p ends: at a delimiter, a line break or `end`. A quote inside it is kept as it is. */
  private unquotedEnd(p: usize, end: usize): usize {
    const delimiter = this.delimiter;
    while (p < end) {
      const c = load<u8>(p);
      if (c == delimiter || c == LF || c == CR) return p;
      p++;
    }
    return end;
  }

  /** Set by closingQuote(): the field holds doubled quotes. */
  private doubledQuotes: bool = false;

  /**
   * The closing quote of a quoted field whose text starts at q: the first quote not followed by a
   * second one (which makes a pair, standing for one quote). `end` when there is none in the bytes at
   * hand; the last byte when it is a quote that a second one might follow. Counts the lines it spans.
   */
  private closingQuote(q: usize, end: usize): usize {
    this.doubledQuotes = false;
    while (q < end) {
      const c = load<u8>(q);
      if (c == QUOTE) {
        if (q + 1 >= end || load<u8>(q + 1) != QUOTE) return q;
        this.doubledQuotes = true;
        q += 2;
        continue;
      }
      if (c == LF || (c == CR && (q + 1 >= end || load<u8>(q + 1) != LF))) this.lines++;
      q++;
    }
    return end;
  }

  /** Consumes the line break at p (CRLF, LF or a lone CR); false when a CR ends the bytes at hand and an LF may follow. */
  private lineBreak(p: usize, end: usize, final: bool): bool {
    let after = p + 1;
    if (load<u8>(p) == CR) {
      if (after >= end && !final) return false;
      if (after < end && load<u8>(after) == LF) after++;
    }
    this.lines++;
    this.next = after;
    return true;
  }

  private push(start: usize, end: usize, flags: u8): void {
    const i = this.count;
    if (i == this.fieldStart.length) this.grow();
    unchecked((this.fieldStart[i] = start));
    unchecked((this.fieldEnd[i] = end));
    unchecked((this.fieldFlags[i] = flags));
    this.count = i + 1;
  }

  private grow(): void {
    const capacity = this.fieldStart.length << 1;
    const starts = new StaticArray<usize>(capacity);
    const ends = new StaticArray<usize>(capacity);
    const flags = new StaticArray<u8>(capacity);
    memory.copy(changetype<usize>(starts), changetype<usize>(this.fieldStart), <usize>this.count * sizeof<usize>());
    memory.copy(changetype<usize>(ends), changetype<usize>(this.fieldEnd), <usize>this.count * sizeof<usize>());
    memory.copy(changetype<usize>(flags), changetype<usize>(this.fieldFlags), <usize>this.count);
    this.fieldStart = starts;
    this.fieldEnd = ends;
    this.fieldFlags = flags;
  }
}

// @ts-ignore: decorator
@inline function isBlank(byte: u8): bool {
  return byte == 0x20 || byte == 0x09;
}
