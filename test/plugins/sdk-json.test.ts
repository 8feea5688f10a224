// The SDK's byte-level JSON (JsonReader, JsonWriter), driven through the jsonbytes fixture plugin in a
// real sandbox and checked against JavaScript's own JSON.parse/JSON.stringify.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildFixturePlugins, pluginHarness, type Harness } from "../helpers/plugins.ts";
import { COMPILE_TIMEOUT_MS } from "../helpers/timeouts.ts";

beforeAll(buildFixturePlugins, COMPILE_TIMEOUT_MS);

let harness: Harness;
beforeAll(() => {
  harness = pluginHarness("");
});
afterAll(() => harness.close());

const MODES = ["bytes", "strings", "capture"] as const;

/** What a correct rewrite of `text` is: JavaScript's reading of it; through f64, -0 loses its sign as in JSON.stringify. */
const expected = (mode: string, text: string): unknown => (mode === "strings" ? JSON.parse(JSON.stringify(JSON.parse(text))) : JSON.parse(text));

async function rewrite(mode: string, input: { text: string } | { value: unknown }) {
  return harness.call("jsonbytes", "rewrite", { input: { mode, ...input } });
}

/** The rewrite's answer, exactly (toMatchObject would let extra keys through). */
async function rewritten(mode: string, input: { text: string } | { value: unknown }): Promise<unknown> {
  const result = await rewrite(mode, input);
  if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
  return result.value;
}

const TRICKY: Record<string, string> = {
  escapes: String.raw`{"q":"a\"b\\c\/d\b\f\n\r\t","ctl":"\u0000\u0001\u001f\u007f","uni":"\u00e9\u20AC\ud83d\ude80"}`,
  "raw non-ASCII": `{"Zürich":"日本 🚀 Grüße","👩‍👩‍👧":["😀","𝄞",""]}`,
  "empty containers": `{"a":{},"b":[],"c":[{}, [], [[]]],"d":"","e":{"f":{}}}`,
  whitespace: ` \n\t{ "a" :\r\n [ 1 , 2 ,{ } ] , "b" : null ,"c":true,"d":false }\n `,
  numbers: `[0,-1,1.5,-0.25,1e300,1E-300,2.5e+10,123456789012345678901234567890,-0,9007199254740993,0.1]`,
  scalars: `[null,true,false,"x",7]`,
  "top-level string": `"just a string ✓"`,
  "top-level number": `42`,
  "deep nesting": "[".repeat(300) + `{"k":"v"}` + "]".repeat(300),
  "deep objects": `{"a":`.repeat(200) + "1" + "}".repeat(200),
};

describe("JsonReader and JsonWriter round trips", () => {
  for (const mode of MODES) {
    for (const [name, text] of Object.entries(TRICKY)) {
      test(`${name}, copied as ${mode}`, async () => {
        expect(await rewritten(mode, { text })).toEqual(expected(mode, text));
      });
    }
  }

  test("a value read in place inside the request, not from a text", async () => {
    const value = { hosts: [{ hostname: "web01", labels: { site: "fra", "ü": "🚀" } }], next: null, n: [1, 2.5] };
    for (const mode of MODES) expect(await rewritten(mode, { value })).toEqual(value);
  });

  test("an emoji at every offset of a string and of a key, both through AS strings and bytes", async () => {
    for (let n = 0; n < 20; n++) {
      const text = `${"x".repeat(n)}🚀"\\${"é".repeat(n % 3)}`;
      const value = { [text]: text, list: [text] };
      for (const mode of MODES) expect(await rewritten(mode, { value })).toEqual(value);
    }
  });

  test("strings far longer than the writer's 64 KiB chunk, with escapes and emoji across its edges", async () => {
    const long = "ab\"🚀\u0001é\\".repeat(40_000);
    const value = { [long.slice(0, 70_001)]: [long, long.slice(1), long.slice(3)] };
    for (const mode of MODES) expect(await rewritten(mode, { value })).toEqual(value);
  });

  test("a lone surrogate escape becomes U+FFFD, so the output stays UTF-8", async () => {
    for (const mode of MODES.slice(0, 2)) {
      expect(await rewritten(mode, { text: String.raw`["a\ud800b","\udc00","\ud800\u0041"]` })).toEqual(["a\uFFFDb", "\uFFFD", "\uFFFDA"]);
    }
  });

  test("random strings of every kind of character survive both ways", async () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const pools = [() => random(0x20), () => 0x20 + random(0x60), () => 0x80 + random(0x780), () => 0x800 + random(0xd000), () => 0x10000 + random(0xfffff)];
    const strings = Array.from({ length: 150 }, () => String.fromCodePoint(...Array.from({ length: random(40) }, () => pools[random(pools.length)]!())));
    for (const mode of MODES) expect(await rewritten(mode, { value: strings })).toEqual(strings);
  });
});

describe("JsonReader errors say what was expected, what was found, and the line and column", () => {
  const CASES: [string, string][] = [
    [`{"a":}`, "expected a value, found character '}' at line 1, column 6"],
    [`{"a" 1}`, "expected ':' after a member name, found character '1' at line 1, column 6"],
    [`{"a":1]`, "expected ',' or '}' in an object, found character ']' at line 1, column 7"],
    [`{"a":1,}`, "expected a member name in double quotes, found character '}' at line 1, column 8"],
    [`[1,]`, "expected a value, found character ']' at line 1, column 4"],
    [`[1 2]`, "expected ',' or ']' in an array, found character '2' at line 1, column 4"],
    [`[1,2`, "expected ',' or ']' in an array, found end of the document at line 1, column 5"],
    [`[`, "expected a value, found end of the document at line 1, column 2"],
    [`{`, "expected a member name in double quotes, found end of the document at line 1, column 2"],
    [``, "expected a value, found end of the document at line 1, column 1"],
    [`  "abc`, "unterminated string at line 1, column 7"],
    [`["a\\x"]`, "invalid escape in a string at line 1, column 4"],
    [`["\\u12"]`, "invalid \\u escape (four hex digits expected) at line 1, column 3"],
    [`["a\tb"]`, "control character 0x9 inside a string (it must be escaped) at line 1, column 4"],
    [`[tru]`, "expected 'true', found character ']' at line 1, column 5"],
    [`[nul]`, "expected 'null', found character ']' at line 1, column 5"],
    [`[-]`, "invalid number: expected a digit, found character ']' at line 1, column 3"],
    [`[1.]`, "invalid number: expected a digit after '.', found character ']' at line 1, column 4"],
    [`[1e]`, "invalid number: expected a digit in the exponent, found character ']' at line 1, column 4"],
    [`01`, "unexpected character '1' after the end of the value at line 1, column 2"],
    [`{} {}`, "unexpected character '{' after the end of the value at line 1, column 4"],
    [`[@]`, "expected a value, found character '@' at line 1, column 2"],
    [`{\n  "a": 1,\n  "ü": [1 2]\n}`, "expected ',' or ']' in an array, found character '2' at line 3, column 11"],
    ["\ufeff[1,]", "expected a value, found character ']' at line 1, column 4"],
    ["[".repeat(600) + "]".repeat(600), "nested deeper than 512 levels at line 1, column 513"],
  ];
  for (const [text, message] of CASES) {
    test(JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}…` : text), async () => {
      expect(await rewrite("bytes", { text })).toMatchObject({ ok: false, error: { kind: "parser", message } });
    });
  }
});

describe("integers", () => {
  const integers = (text: string) => harness.call("jsonbytes", "integers", { input: { text } });

  test("are exact across the whole i64 range, written as JavaScript writes them", async () => {
    const text = "[0, -1, 7, 1000000, 9007199254740993, 9223372036854775807, -9223372036854775808]";
    expect(await integers(text)).toMatchObject({ ok: true, value: { text: text.replaceAll(" ", "") } });
  });

  test("outside i64 or with a fraction are errors at the number", async () => {
    expect(await integers("[1, 9223372036854775808]")).toMatchObject({
      ok: false,
      error: { kind: "parser", message: "integer out of range: 9223372036854775808 at line 1, column 5" },
    });
    expect(await integers("[18446744073709551616]")).toMatchObject({ ok: false, error: { message: "integer out of range: 18446744073709551616 at line 1, column 2" } });
    expect(await integers("[-9223372036854775809]")).toMatchObject({ ok: false, error: { message: expect.stringContaining("out of range") } });
    expect(await integers("[2.5]")).toMatchObject({ ok: false, error: { message: "expected an integer, found 2.5 at line 1, column 2" } });
    expect(await integers(`["7"]`)).toMatchObject({ ok: false, error: { message: "expected a number, found a string at line 1, column 2" } });
  });
});

describe("JsonWriter over UTF-8 bytes", () => {
  const write = async (sequences: number[][]) => {
    const result = await harness.call("jsonbytes", "utf8_bytes", { input: { bytes: sequences } });
    if (!result.ok) throw new Error(result.error.message);
    return result.value as { valid: boolean; value: string; keyed: Record<string, boolean> }[];
  };
  const bytes = (text: string) => [...new TextEncoder().encode(text)];

  test("valid UTF-8 is copied through and escaped where JSON needs it", async () => {
    const texts = ["hi", "é", "🚀", "\u0000\u001f\"\\\u007f", "a€b", "0123456789abc\"ef0123456789", "long clean ascii, no escapes at all here!", "tab\there\nnewline 🚀🚀"];
    const answers = await write(texts.map(bytes));
    expect(answers).toEqual(texts.map((value) => ({ value, keyed: { [value]: true }, valid: true })));
  });

  test("invalid UTF-8 is written as U+FFFD and reported", async () => {
    const cases: [number[], string][] = [
      [[0xff], "\uFFFD"],
      [[0x61, 0xc0, 0x80], "a\uFFFD\uFFFD"], // overlong
      [[0xed, 0xa0, 0x80], "\uFFFD\uFFFD\uFFFD"], // an encoded surrogate
      [[0xf4, 0x90, 0x80, 0x80], "\uFFFD\uFFFD\uFFFD\uFFFD"], // above U+10FFFF
      [[0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xe2, 0x82], "abcdefg\uFFFD\uFFFD"], // truncated at the end
    ];
    const answers = await write(cases.map(([sequence]) => sequence));
    expect(answers).toEqual(cases.map(([, value]) => ({ value, keyed: { [value]: true }, valid: false })));
  });
});

describe("the benchmark's transform over bytes", () => {
  test("testkit transform_bytes (JsonReader/JsonWriter) gives exactly what transform (json-as) gives", async () => {
    const records = Array.from({ length: 2000 }, (_, i) => ({ hostname: `host${i}.example.com`, labels: { site: `fra${i % 10}`, note: i % 7 ? "plain" : 'quote " and ü 🚀' } }));
    records.push({ hostname: "empty.example.com", labels: {} as never });
    const slow = await harness.call("testkit", "transform", { input: { records } });
    const fast = await harness.call("testkit", "transform_bytes", { input: { records } });
    expect(fast.ok && slow.ok).toBe(true);
    expect(fast.ok && fast.value).toEqual(slow.ok && slow.value);
    expect((fast.ok && (fast.value as { records: { hostname: string; labels: Record<string, string> }[] }).records[0]) || null).toEqual({ hostname: "HOST0.EXAMPLE.COM", labels: { site: "fra0", note: 'quote " and ü 🚀', seen: "yes" } });
  });
});
