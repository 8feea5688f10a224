import { parse as parseToml, TomlError } from "smol-toml";
import { parseTOML } from "toml-eslint-parser";
import type { KeyPath, Problem, SourcePosition } from "../core/problems.ts";

/** A TOML text parsed, or the problem with it at its line and column. */
export function parseTomlText(text: string, file: string): { ok: true; value: unknown } | { ok: false; problem: Problem } {
  try {
    return { ok: true, value: parseToml(text) };
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    return { ok: false, problem: { file, position: { line: error.line, column: error.column }, message: `malformed TOML: ${reason}` } };
  }
}

interface Located {
  key: SourcePosition;
  value: SourcePosition;
}

type Loc = { start: { line: number; column: number } };
type TomlNode = { type: string; loc: Loc; [field: string]: unknown };

const at = (loc: Loc): SourcePosition => ({ line: loc.start.line, column: loc.start.column + 1 });
const keyName = (node: TomlNode): string => (node.type === "TOMLBare" ? (node.name as string) : (node.value as string));

/**
 * Maps key paths (`accounts.netbox1.address`) back to where they are written in the TOML source,
 * so a validation issue found on the parsed value can name a line and column. Built only when
 * there is something to report: smol-toml does the real parsing and keeps no positions.
 */
export class SourceLocator {
  private readonly places = new Map<string, Located>();

  constructor(source: string) {
    let program: { body: TomlNode[] };
    try {
      program = parseTOML(source) as unknown as { body: TomlNode[] };
    } catch {
      return; // smol-toml accepted the file, so this cannot happen in practice; without positions we still report.
    }
    for (const top of program.body) {
      for (const node of top.body as TomlNode[]) {
        if (node.type === "TOMLKeyValue") this.visitKeyValue([], node);
        else this.visitTable(node);
      }
    }
  }

  private remember(path: KeyPath, place: Located): void {
    const id = JSON.stringify(path);
    if (!this.places.has(id)) this.places.set(id, place);
  }

  private visitTable(table: TomlNode): void {
    const resolved = table.resolvedKey as (string | number)[];
    const header = at(table.loc);
    for (let i = 1; i <= resolved.length; i++) this.remember(resolved.slice(0, i), { key: header, value: header });
    for (const kv of table.body as TomlNode[]) this.visitKeyValue(resolved, kv);
  }

  private visitKeyValue(prefix: KeyPath, kv: TomlNode): void {
    const keys = (kv.key as { keys: TomlNode[] }).keys;
    const value = kv.value as TomlNode;
    const path = [...prefix];
    keys.forEach((key, i) => {
      path.push(keyName(key));
      const last = i === keys.length - 1;
      this.remember([...path], { key: at(key.loc), value: last ? at(value.loc) : at(key.loc) });
    });
    this.visitValue(path, value);
  }

  private visitValue(path: KeyPath, value: TomlNode): void {
    if (value.type === "TOMLInlineTable") {
      for (const kv of value.body as TomlNode[]) this.visitKeyValue(path, kv);
    } else if (value.type === "TOMLArray") {
      (value.elements as TomlNode[]).forEach((element, index) => {
        this.remember([...path, index], { key: at(element.loc), value: at(element.loc) });
        this.visitValue([...path, index], element);
      });
    }
  }

  /**
   * Where `path` is written: its key or its value. A path that is not in the file (a missing key)
   * resolves to the nearest enclosing table or key that is.
   */
  find(path: KeyPath, part: "key" | "value"): SourcePosition | undefined {
    for (let length = path.length; length > 0; length--) {
      const place = this.places.get(JSON.stringify(path.slice(0, length)));
      if (place) return length === path.length ? place[part] : place.key;
    }
    return undefined;
  }
}
