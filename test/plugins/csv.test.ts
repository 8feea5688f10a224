// The built-in csv plugin, called through the compiled binary as an operator would (run `bun build.ts` first).
import { describe, expect, test } from "bun:test";
import { callBuiltin, type BuiltinCallResult } from "../helpers/builtin-plugins.ts";

interface Host {
  hostname: string;
  labels: Record<string, string>;
  row: number;
}
interface Page {
  hosts: Host[];
  next: string | null;
}
type Fields = Record<string, string | number | boolean | string[]>;

function importPage(file: string | Uint8Array, fields: Fields = {}, page: string | null = null, pageSize = 1000): Promise<BuiltinCallResult> {
  return callBuiltin("csv", "import_hosts", {
    account: { custom_fields: { path: "hosts.csv", ...fields } },
    files: { "hosts.csv": file },
    input: { page, page_size: pageSize },
  });
}

/** Every page, following `next` until it is null. */
async function importAll(file: string | Uint8Array, fields: Fields = {}, pageSize = 1000): Promise<{ hosts: Host[]; pages: Page[] }> {
  const pages: Page[] = [];
  let next: string | null = null;
  do {
    const result = await importPage(file, fields, next, pageSize);
    if (!result.ok) throw new Error(`${result.error.kind}: ${result.error.message}`);
    const page = result.value as Page;
    pages.push(page);
    next = page.next;
  } while (next !== null && pages.length < 100);
  return { hosts: pages.flatMap((page) => page.hosts), pages };
}

async function importError(file: string | Uint8Array, fields: Fields = {}): Promise<{ kind: string; message: string }> {
  const result = await importPage(file, fields);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe("csv import_hosts", () => {
  test("pages return every row exactly once, with its line number, and the last page says next: null", async () => {
    const file = "host,site\n" + Array.from({ length: 7 }, (_, i) => `web${i},site${i}\n`).join("") + "\n";
    const { hosts, pages } = await importAll(file, {}, 2);
    expect(hosts).toEqual(Array.from({ length: 7 }, (_, i) => ({ hostname: `web${i}`, labels: { site: `site${i}` }, row: i + 2 })));
    expect(pages.map((page) => page.hosts.length)).toEqual([2, 2, 2, 1]);
    expect(pages.at(-1)!.next).toBeNull();
    // A page that ends exactly at the last row is the last one, blank trailing lines or not.
    expect((await importAll("host\na\nb\n\n\n", {}, 2)).pages.map((page) => page.next)).toEqual([null]);
    // A header alone is an empty import.
    expect((await importAll("host,site\r\n")).pages).toEqual([{ hosts: [], next: null }]);
  });

  test("a UTF-8 byte order mark and CRLF line ends are read as such", async () => {
    const { hosts } = await importAll("\uFEFFhost,site,os\r\nweb01,berlin,linux\r\nweb02,paris,\r\n");
    expect(hosts).toEqual([
      { hostname: "web01", labels: { site: "berlin", os: "linux" }, row: 2 },
      { hostname: "web02", labels: { site: "paris", os: "" }, row: 3 },
    ]);
    // A byte order mark says UTF-8: a file declared otherwise is misconfigured, not silently garbled.
    expect(await importError("\uFEFFhost\nweb01\n", { encoding: "latin-1" })).toEqual({
      kind: "options",
      message: "the file starts with a UTF-8 byte order mark, but the account's encoding is not utf-8",
    });
  });

  test("quoted fields hold delimiters, doubled quotes and line breaks; rows stay the file's line numbers across pages", async () => {
    const file = 'host,note,site\n"web01","a, b",x\n web02 ,"say ""hi""\nsecond line\r\nthird",y\n"web03" , "",z\n\nweb04,plain "quote" inside,w';
    const { hosts, pages } = await importAll(file, {}, 1);
    expect(hosts).toEqual([
      { hostname: "web01", labels: { note: "a, b", site: "x" }, row: 2 },
      { hostname: "web02", labels: { note: 'say "hi"\nsecond line\r\nthird', site: "y" }, row: 3 },
      { hostname: "web03", labels: { note: "", site: "z" }, row: 6 },
      { hostname: "web04", labels: { note: 'plain "quote" inside', site: "w" }, row: 8 },
    ]);
    expect(pages).toHaveLength(4);
  });

  test("semicolons and tabs as delimiters", async () => {
    const semicolon = await importAll('host;site;note\nweb01;berlin;"a;b"\n', { delimiter: ";" });
    expect(semicolon.hosts).toEqual([{ hostname: "web01", labels: { site: "berlin", note: "a;b" }, row: 2 }]);
    const tab = await importAll('host\tsite\tnote\nweb01\tberlin\t"a\tb"\n web02 \t\t\n', { delimiter: "\t" });
    expect(tab.hosts).toEqual([
      { hostname: "web01", labels: { site: "berlin", note: "a\tb" }, row: 2 },
      { hostname: "web02", labels: { site: "", note: "" }, row: 3 },
    ]);
    const pipe = await importAll("host|site\nweb01|a,b\n", { delimiter: "|" });
    expect(pipe.hosts).toEqual([{ hostname: "web01", labels: { site: "a,b" }, row: 2 }]);
  });

  test("latin-1 and windows-1252 files are transcoded to UTF-8 (0x80-0x9F differ)", async () => {
    const high = Array.from({ length: 0x80 }, (_, i) => 0x80 + i);
    const file = new Uint8Array([...new TextEncoder().encode("host,text\nweb01,"), ...high, 0x0a, ...new TextEncoder().encode("web02,Z"), 0xfc, 0x72, 0x69, 0x63, 0x68, 0x0a]);
    const latin1 = await importAll(file, { encoding: "latin-1" });
    expect(latin1.hosts.map((host) => host.labels.text)).toEqual([String.fromCharCode(...high), "Zürich"]);
    const windows = await importAll(file, { encoding: "windows-1252" });
    expect(windows.hosts.map((host) => host.labels.text)).toEqual([new TextDecoder("windows-1252").decode(new Uint8Array(high)), "Zürich"]);
    expect(windows.hosts[0]!.labels.text!.slice(0, 3)).toBe("€\u0081‚");
  });

  test("label_columns picks the labels; by default every named column but the hostname's is one", async () => {
    const file = "site,host,os,,rack\nberlin,web01,linux,x,r1\n";
    expect((await importAll(file, { label_columns: ["rack", "site"] })).hosts).toEqual([{ hostname: "web01", labels: { site: "berlin", rack: "r1" }, row: 2 }]);
    expect((await importAll(file)).hosts).toEqual([{ hostname: "web01", labels: { site: "berlin", os: "linux", rack: "r1" }, row: 2 }]);
    expect((await importAll(file, { hostname_column: "os" })).hosts[0]!.hostname).toBe("linux");
    expect(await importError(file, { label_columns: ["site", "owner"] })).toEqual({
      kind: "options",
      message: "label column 'owner' not found; the header has: site, host, os, , rack",
    });
  });

  test("a missing hostname column is an options error listing the header", async () => {
    expect(await importError("name,site\nweb01,berlin\n")).toEqual({ kind: "options", message: "hostname column 'host' not found; the header has: name, site" });
  });

  test("bad rows are parser errors naming the row", async () => {
    expect(await importError('host,site\nweb01,a\nweb02,"open\nweb03,b\n')).toEqual({
      kind: "parser",
      message: "row 3: the quoted field in column 'site' is never closed (a '\"' opens it, none closes it)",
    });
    expect(await importError("host,site,os\nweb01,a,b\n\nweb02,a\n")).toEqual({ kind: "parser", message: "row 4: 2 fields, but the header has 3 columns" });
    expect(await importError("host,site\nweb01,a,extra\n")).toEqual({ kind: "parser", message: "row 2: 3 fields, but the header has 2 columns" });
    expect(await importError('host,site\n"a\nb",x\n  ,y\n')).toEqual({ kind: "parser", message: "row 4: empty hostname in column 'host'" });
    expect(await importError('host,site\nweb01,"a"b\n')).toEqual({
      kind: "parser",
      message: "row 2: unexpected 'b' after the closing quote of column 'site' (inside a quoted field, write a quote as \"\")",
    });
    expect(await importError("")).toEqual({ kind: "parser", message: "row 1: the file is empty; its first line must name the columns" });
  });

  test("invalid UTF-8 in a UTF-8 file is a parser error naming the row and column", async () => {
    const file = new Uint8Array([...new TextEncoder().encode("host,site\nweb01,ok\nweb02,Z"), 0xfc, 0x72, 0x69, 0x63, 0x68, 0x0a]);
    expect(await importError(file)).toEqual({
      kind: "parser",
      message: "row 3: invalid UTF-8 in column 'site' (for a latin-1 or windows-1252 file, set the account's encoding)",
    });
  });

  test("a missing file is refused by the host before the plugin runs", async () => {
    const result = await callBuiltin("csv", "import_hosts", { account: { custom_fields: { path: "nowhere.csv" } }, input: { page: null, page_size: 10 } });
    expect(result).toMatchObject({ ok: false, error: { kind: "options", message: expect.stringContaining("no such file") } });
  });

  test("a cursor that is not one, or from a file that has changed since, is refused", async () => {
    expect(await importPage("host\na\n", {}, "nonsense")).toMatchObject({ ok: false, error: { kind: "runtime", message: "page 'nonsense' is not a cursor this plugin returned" } });
    expect(await importPage("host\na\n", {}, "5:2:999")).toMatchObject({ ok: false, error: { kind: "runtime", message: expect.stringContaining("the file changed during the import") } });
  });

  test("a large file with tricky records across window boundaries reads exactly like a reference CSV writer wrote it", async () => {
    let seed = 11;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const pieces = ["a", "berlin", "x,y", 'say "hi"', "two\nlines", "crlf\r\ninside", "Zürich 🚀", "", " padded "];
    const quote = (value: string) => (/[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value);
    const lines = ["host,site,note"];
    const expected: Host[] = [];
    let row = 2;
    for (let i = 0; i < 30_000; i++) {
      const site = pieces[random(pieces.length)]!;
      const note = pieces[random(pieces.length)]!.repeat(1 + random(6));
      const hostname = `host-${i}.example.com`;
      const line = [quote(hostname), quote(site), quote(note)].join(",");
      lines.push(line);
      expected.push({ hostname, labels: { site, note }, row });
      row += line.split(/\r\n|\n/).length;
    }
    // One field far larger than the plugin's 1 MiB window.
    const huge = "h".repeat(3 << 20);
    lines.push(`huge.example.com,"${huge}",end`);
    expected.push({ hostname: "huge.example.com", labels: { site: huge, note: "end" }, row });
    const file = lines.join("\r\n") + "\r\n";
    expect(file.length).toBeGreaterThan(4 << 20);
    const { hosts, pages } = await importAll(file, {}, 7000);
    expect(pages.map((page) => page.hosts.length)).toEqual([7000, 7000, 7000, 7000, 2001]);
    expect(hosts.length).toBe(expected.length);
    expect(hosts).toEqual(expected);
  }, 60_000);
});
