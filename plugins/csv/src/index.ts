// The csv plugin: imports hosts from a CSV file the host hands over (the account's `path`), a page at
// a time. The file's first line names the columns; one column holds the hostname, the others become
// labels (column name → value, empty values kept as ""). Only the hostname is trimmed.
import { ErrorKind, ImportPage, Importer, file, runImport } from "../../sdk/index";
import { FieldText } from "./field-text";
import { Header } from "./header";
import { PageWriter } from "./page";
import { RecordStream } from "./records";
import { Scan } from "./scanner";
import { Cursor, Encoding, cursorOf, quoted, settingsOf } from "./settings";

// Kept from call to call: the stub runtime never frees memory, so a call that made its own 1 MiB window
// would grow the heap by that much every page.
// (The stream is made by the first call: its window asks the host for the file, which only a call has.)
let stream: RecordStream | null = null;
const text = new FieldText(Encoding.Utf8);

class CsvFile extends Importer {
  constructor() {
    super();
    this.defaultPageSize = 5000;
  }

  fetch(page: ImportPage): bool {
    const settings = settingsOf(page.account);
    if (settings.problem.length > 0) return page.fail(ErrorKind.Options, settings.problem);
    let cursor: Cursor | null = null;
    if (page.cursor !== null) {
      cursor = cursorOf(page.cursor!);
      if (cursor === null) return page.fail(ErrorKind.Runtime, "page " + quoted(page.cursor!) + " is not a cursor this plugin returned");
    }
    if (!file.present()) return page.fail(ErrorKind.Options, "no file was handed over: set the account's path");

    // The header is read on every page: a page needs only its cursor and the file.
    if (stream === null) stream = new RecordStream(settings.delimiter);
    const records = stream!;
    records.restart(settings.delimiter);
    records.seek(0, 1, true);
    if (records.atByteOrderMark()) {
      if (settings.encoding != Encoding.Utf8) {
        return page.fail(ErrorKind.Options, "the file starts with a UTF-8 byte order mark, but the account's encoding is not utf-8");
      }
      records.skipBytes(3);
    }
    text.encoding = settings.encoding;
    const first = records.nextRecord();
    if (first == Scan.End) return page.fail(ErrorKind.Parser, "row 1: the file is empty; its first line must name the columns");
    const headerRow = records.recordRow;
    if (first != Scan.Record) return page.fail(ErrorKind.Parser, `row ${headerRow}: the header has an unclosed or misplaced quote`);
    const header = Header.read(records.scanner, text, settings, headerRow);
    if (header.problem.length > 0) return page.fail(header.problemKind, header.problem);

    if (cursor !== null) {
      if (cursor.fileLength != records.fileLength) {
        return page.fail(ErrorKind.Runtime, `the file changed during the import (${cursor.fileLength} bytes when it began, ${records.fileLength} now): run the import again`);
      }
      if (cursor.offset > records.fileLength) return page.fail(ErrorKind.Runtime, `page '${cursor.toString()}' lies beyond the end of the file`);
      records.seek(cursor.offset, cursor.row);
    }
    const pageWriter = new PageWriter(records, header, text, page);
    if (!pageWriter.write()) return page.fail(ErrorKind.Parser, pageWriter.problem);
    return true;
  }
}

export function import_hosts(): i32 {
  return runImport(new CsvFile());
}
