// A field's bytes as UTF-8 text: doubled quotes undone and latin-1/windows-1252 transcoded. A UTF-8
// field without doubled quotes (nearly all of them) goes to the writer as it stands in the file.
import { ByteBuffer, JsonWriter, isValidUtf8, writeUtf8 } from "../../sdk/index";
import { FIELD_DOUBLED_QUOTES } from "./scanner";
import { Encoding } from "./settings";

// windows-1252's 0x80-0x9F (latin-1 has C1 controls there); its five unassigned bytes map to the C1
// control of the same number, as WHATWG's decoder does.
// @ts-ignore: decorator
@lazy const WINDOWS_1252_HIGH = memory.data<u16>([
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
]);

export class FieldText {
  private scratch: ByteBuffer = new ByteBuffer(4096);

  constructor(public encoding: Encoding) {}

  /** Writes the field [start, end) as a JSON string; false when it is not valid UTF-8 (in a UTF-8 file). */
  write(writer: JsonWriter, start: usize, end: usize, flags: u8): bool {
    if (this.encoding == Encoding.Utf8 && flags == 0) return writer.stringBytes(start, <i32>(end - start));
    this.convert(start, end, flags);
    return writer.stringBytes(this.scratch.dataStart, this.scratch.length);
  }

  /** The field as a string (for column names); null when it is not valid UTF-8. */
  decode(start: usize, end: usize, flags: u8): string | null {
    let ptr = start;
    let len = <i32>(end - start);
    if (this.encoding != Encoding.Utf8 || flags != 0) {
      this.convert(start, end, flags);
      ptr = this.scratch.dataStart;
      len = this.scratch.length;
    }
    return isValidUtf8(ptr, len) ? String.UTF8.decodeUnsafe(ptr, <usize>len) : null;
  }

  /** The field's text as UTF-8 into the scratch buffer. */
  private convert(start: usize, end: usize, flags: u8): void {
    const scratch = this.scratch;
    scratch.clear();
    // A byte becomes at most 3 UTF-8 bytes (windows-1252's 0x80 is U+20AC).
    let out = scratch.reserve(<u64>(end - start) * 3);
    const first = out;
    const undouble = (flags & FIELD_DOUBLED_QUOTES) != 0;
    const encoding = this.encoding;
    for (let p = start; p < end; p++) {
      const byte = <u32>load<u8>(p);
      if (byte == 0x22 && undouble) p++; // the scanner saw to it that quotes come in pairs here
      if (byte < 0x80 || encoding == Encoding.Utf8) {
        store<u8>(out++, <u8>byte);
      } else {
        const cp = encoding == Encoding.Windows1252 && byte < 0xa0 ? <u32>load<u16>(WINDOWS_1252_HIGH + ((byte - 0x80) << 1)) : byte;
        out += <usize>writeUtf8(out, cp);
      }
    }
    scratch.length = <i32>(out - first);
  }
}
