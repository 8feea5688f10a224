// One page of hosts, each record written as JSON straight from the file's bytes into the page the
// importer helper answers: {"hostname": "...", "labels": {...}, "row": N}.
import { ImportPage } from "../../sdk/index";
import { FieldText } from "./field-text";
import { Header } from "./header";
import { RecordStream } from "./records";
import { RecordScanner, Scan } from "./scanner";
import { Cursor } from "./settings";

// UTF-8 keys of every host record, made once.
const HOSTNAME_KEY = String.UTF8.encode("hostname");
const LABELS_KEY = String.UTF8.encode("labels");
const ROW_KEY = String.UTF8.encode("row");

export class PageWriter {
  /** Why the page cannot be written (always naming the row), "" while it can. */
  problem: string = "";

  constructor(
    private records: RecordStream,
    private header: Header,
    private text: FieldText,
    private page: ImportPage,
  ) {}

  /** Writes up to the page's size of hosts from where `records` stands and sets its next; false with `problem` set on bad data. */
  write(): bool {
    const records = this.records;
    const page = this.page;
    while (true) {
      const status = records.nextRecord();
      if (status == Scan.End) break;
      if (status != Scan.Record) return this.refuse(this.scanProblem(status));
      if (page.count == page.size) {
        // This record starts the next page (scanning it once more there costs less than a special case).
        page.next = new Cursor(records.recordOffset, records.recordRow, records.fileLength).toString();
        break;
      }
      if (!this.writeHost(records.scanner, records.recordRow)) return false;
    }
    return true;
  }

  private writeHost(fields: RecordScanner, row: i32): bool {
    const header = this.header;
    if (fields.count != header.columns) {
      return this.refuse(`row ${row}: ${fields.count} fields, but the header has ${header.columns} columns`);
    }
    const writer = this.page.beginHost();
    writer.keyBytes(changetype<usize>(HOSTNAME_KEY), HOSTNAME_KEY.byteLength);
    const column = header.hostnameIndex;
    let start = unchecked(fields.fieldStart[column]);
    let end = unchecked(fields.fieldEnd[column]);
    while (start < end && isBlank(load<u8>(start))) start++;
    while (end > start && isBlank(load<u8>(end - 1))) end--;
    if (start == end) return this.refuse(`row ${row}: empty hostname in column '${header.names[column]}'`);
    if (!this.text.write(writer, start, end, unchecked(fields.fieldFlags[column]))) return this.invalidUtf8(row, column);

    writer.keyBytes(changetype<usize>(LABELS_KEY), LABELS_KEY.byteLength);
    writer.beginObject();
    const indexes = header.labelIndexes;
    const keys = header.labelKeys;
    for (let i = 0, n = indexes.length; i < n; i++) {
      const key = unchecked(keys[i]);
      const index = unchecked(indexes[i]);
      writer.keyBytes(changetype<usize>(key), key.byteLength);
      const valid = this.text.write(writer, unchecked(fields.fieldStart[index]), unchecked(fields.fieldEnd[index]), unchecked(fields.fieldFlags[index]));
      if (!valid) return this.invalidUtf8(row, index);
    }
    writer.endObject();
    writer.keyBytes(changetype<usize>(ROW_KEY), ROW_KEY.byteLength);
    writer.integer(row);
    this.page.endHost();
    return true;
  }

  private scanProblem(status: Scan): string {
    const records = this.records;
    const fields = records.scanner.count;
    const row = records.recordRow;
    // An unclosed field was not counted; one with a stray character after its quote was.
    if (status == Scan.Unterminated) return `row ${row}: the quoted field in ${this.columnName(fields)} is never closed (a '"' opens it, none closes it)`;
    const found = load<u8>(records.scanner.problemAt);
    return `row ${row}: unexpected ${describeByte(found)} after the closing quote of ${this.columnName(fields - 1)} (inside a quoted field, write a quote as "")`;
  }

  private invalidUtf8(row: i32, index: i32): bool {
    return this.refuse(`row ${row}: invalid UTF-8 in ${this.columnName(index)} (for a latin-1 or windows-1252 file, set the account's encoding)`);
  }

  private columnName(index: i32): string {
    return index < this.header.columns ? `column '${this.header.names[index]}'` : `field ${index + 1}`;
  }

  private refuse(message: string): bool {
    this.problem = message;
    return false;
  }
}

/** A byte for a message: 'x' when printable ASCII, else 0xNN. */
function describeByte(byte: u8): string {
  return byte > 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16)}`;
}

// @ts-ignore: decorator
@inline function isBlank(byte: u8): bool {
  return byte == 0x20 || byte == 0x09;
}
