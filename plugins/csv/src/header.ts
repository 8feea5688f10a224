// The header line: column names, which column holds the hostname and which become labels.
import { ErrorKind } from "../../sdk/index";
import { FieldText } from "./field-text";
import { RecordScanner } from "./scanner";
import { CsvSettings, quoted } from "./settings";

export class Header {
  /** Column names, trimmed. */
  names: string[] = [];
  hostnameIndex: i32 = -1;
  /** The label columns in file order, and their names as UTF-8 (JSON keys written straight from bytes). */
  labelIndexes: i32[] = [];
  labelKeys: ArrayBuffer[] = [];
  /** Why the file or the options cannot be used, "" when they can; `problemKind` is an ErrorKind. */
  problem: string = "";
  problemKind: string = ErrorKind.Parser;

  get columns(): i32 {
    return this.names.length;
  }

  private refuse(kind: string, message: string): Header {
    this.problemKind = kind;
    this.problem = message;
    return this;
  }

  /** The header from the record in `scanner`, found on line `row`. */
  static read(scanner: RecordScanner, text: FieldText, settings: CsvSettings, row: i32): Header {
    const header = new Header();
    for (let i = 0; i < scanner.count; i++) {
      const name = text.decode(unchecked(scanner.fieldStart[i]), unchecked(scanner.fieldEnd[i]), unchecked(scanner.fieldFlags[i]));
      if (name === null) return header.refuse(ErrorKind.Parser, `row ${row}: invalid UTF-8 in the header (for a latin-1 or windows-1252 file, set the account's encoding)`);
      header.names.push(name.trim());
    }
    const names = header.names;
    header.hostnameIndex = names.indexOf(settings.hostnameColumn);
    if (header.hostnameIndex < 0) {
      return header.refuse(ErrorKind.Options, `hostname column ${quoted(settings.hostnameColumn)} not found; the header has: ${names.join(", ")}`);
    }
    if (names.lastIndexOf(settings.hostnameColumn) != header.hostnameIndex) {
      return header.refuse(ErrorKind.Parser, `row ${row}: the header names the hostname column ${quoted(settings.hostnameColumn)} twice`);
    }
    const wanted = settings.labelColumns;
    for (let i = 0; i < wanted.length; i++) {
      if (!names.includes(wanted[i])) {
        return header.refuse(ErrorKind.Options, `label column ${quoted(wanted[i])} not found; the header has: ${names.join(", ")}`);
      }
    }
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      // By default every named column but the hostname's is a label; a label needs a name.
      const isLabel = wanted.length > 0 ? wanted.includes(name) : i != header.hostnameIndex && name.length > 0;
      if (!isLabel) continue;
      if (names.indexOf(name) != i) return header.refuse(ErrorKind.Parser, `row ${row}: the header names column ${quoted(name)} twice`);
      header.labelIndexes.push(i);
      header.labelKeys.push(String.UTF8.encode(name));
    }
    return header;
  }
}
