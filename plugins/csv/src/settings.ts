// What one call of import_hosts is asked to do: the account's options and where the page starts.
import { Account } from "../../sdk/index";

export enum Encoding {
  Utf8,
  Latin1,
  Windows1252,
}

export class CsvSettings {
  hostnameColumn: string = "host";
  delimiter: u8 = 0x2c;
  encoding: Encoding = Encoding.Utf8;
  /** Empty: every named column except the hostname column. */
  labelColumns: string[] = [];
  /** Why the options cannot be used, "" when they can. */
  problem: string = "";
}

/** The account's options, typed and defaulted by the host; checked again here since a plugin can be called directly. */
export function settingsOf(account: Account): CsvSettings {
  const settings = new CsvSettings();
  settings.hostnameColumn = account.optionString("hostname_column", "host").trim();
  if (settings.hostnameColumn.length == 0) settings.problem = "hostname_column is empty: name the column holding the hostnames";
  const delimiter = account.optionString("delimiter", ",");
  if (delimiter == "," || delimiter == ";" || delimiter == "\t" || delimiter == "|") settings.delimiter = <u8>delimiter.charCodeAt(0);
  else settings.problem = "delimiter " + quoted(delimiter) + " is not one of ',', ';', a tab or '|'";
  const encoding = account.optionString("encoding", "utf-8");
  if (encoding == "utf-8") settings.encoding = Encoding.Utf8;
  else if (encoding == "latin-1") settings.encoding = Encoding.Latin1;
  else if (encoding == "windows-1252") settings.encoding = Encoding.Windows1252;
  else settings.problem = "encoding " + quoted(encoding) + " is not one of utf-8, latin-1, windows-1252";
  settings.labelColumns = account.optionList("label_columns");
  return settings;
}

/** Where a page starts: the file offset of its first record and that record's line number. */
export class Cursor {
  constructor(
    public offset: i32,
    public row: i32,
    /** The file's length when the import began: a different length means the file changed between pages. */
    public fileLength: i32,
  ) {}

  /** "offset:row:length", the `next` of a page. */
  toString(): string {
    return this.offset.toString() + ":" + this.row.toString() + ":" + this.fileLength.toString();
  }
}

/** The cursor a page answered as its `next`, or null when `text` is not one. */
export function cursorOf(text: string): Cursor | null {
  const parts = text.split(":");
  if (parts.length != 3) return null;
  const numbers = new Array<i32>(3);
  for (let i = 0; i < 3; i++) {
    const part = parts[i];
    if (part.length == 0 || part.length > 10) return null;
    for (let j = 0; j < part.length; j++) if (part.charCodeAt(j) < 0x30 || part.charCodeAt(j) > 0x39) return null;
    const value = I64.parseInt(part);
    if (value > <i64>i32.MAX_VALUE) return null;
    numbers[i] = <i32>value;
  }
  return new Cursor(numbers[0], numbers[1], numbers[2]);
}

export function quoted(text: string): string {
  return "'" + text + "'";
}
