// Selectors: the practical subset of JSONPath that names one value.
//
//   $                  the value itself (the document, or the item for field selectors)
//   .key  or  key      a member (a leading `$` is optional); a bare key runs up to the next '.' or '['
//   ['key'] ["key"]    a member whose name has dots, spaces or brackets (\' \" \\ escape)
//   [2]  [-1]          an array element; a negative index counts from the end
//
// Wildcards, filters, slices and recursive descent ('..') are refused with a message, never ignored.

import { describeKind, JsonKind, JsonValue } from "./json-document";

export class Step {
  /** A member name, or null for an element index. */
  readonly key: string | null;
  readonly index: i32;
  constructor(key: string | null, index: i32) {
    this.key = key;
    this.index = index;
  }

  /** The step as written canonically: `.key`, `['odd key']`, `[3]`. */
  toString(): string {
    const key = this.key;
    if (key === null) return "[" + this.index.toString() + "]";
    return isPlainKey(key) ? "." + key : "['" + key.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "']";
  }
}

export class Selector {
  /** The selector as the option wrote it, for messages. */
  readonly text: string;
  readonly steps: Step[];
  constructor(text: string, steps: Step[]) {
    this.text = text;
    this.steps = steps;
  }

  /** A name for what it selects: its keys and indices joined by '.' ("location.city", "tags.0"); "" for `$`. */
  name(): string {
    const names = new Array<string>();
    for (let i = 0; i < this.steps.length; i++) {
      const key = this.steps[i].key;
      names.push(key === null ? this.steps[i].index.toString() : key);
    }
    return names.join(".");
  }

  /** The top-level member it names when it is exactly one key ("name"), else null. */
  topLevelKey(): string | null {
    return this.steps.length == 1 ? this.steps[0].key : null;
  }
}

function isPlainKey(key: string): bool {
  if (key.length == 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c == 0x2e || c == 0x5b || c == 0x5d || c == 0x27 || c == 0x22 || c == 0x20 || c == 0x24 || c == 0x3d) return false;
  }
  return true;
}

/** A parsed selector, or why the text is not one. */
export class ParsedSelector {
  selector: Selector | null = null;
  problem: string = "";
}

function refused(text: string, why: string): ParsedSelector {
  const parsed = new ParsedSelector();
  parsed.problem = "'" + text + "' is not a supported selector: " + why;
  return parsed;
}

/**
 * A selector for a list: like parseSelector, and a trailing `[*]` or `.*` ("$.data[*]", as JSONPath
 * writes "every element") is accepted and means the array itself.
 */
export function parseListSelector(written: string): ParsedSelector {
  let text = written.trim();
  if (text.endsWith("[*]")) text = text.substring(0, text.length - 3);
  else if (text.endsWith(".*")) text = text.substring(0, text.length - 2);
  return parseSteps(written, text.length == 0 ? "$" : text);
}

export function parseSelector(written: string): ParsedSelector {
  return parseSteps(written, written.trim());
}

// `written` is the option's text, for messages; `text` what is parsed.
function parseSteps(written: string, text: string): ParsedSelector {
  if (text.length == 0) return refused(written, "it is empty");
  const steps = new Array<Step>();
  let at = 0;
  const first = text.charCodeAt(0);
  if (first == 0x24) at = 1; // $
  else if (first != 0x5b && first != 0x2e) at = -1; // a bare first key, read as if written ".key"
  while (at < text.length) {
    const c = at < 0 ? 0x2e : text.charCodeAt(at);
    if (c == 0x2e) {
      const from = at + 1;
      if (text.charCodeAt(from) == 0x2e) return refused(written, "recursive descent ('..') is not supported");
      let to = from;
      while (to < text.length && text.charCodeAt(to) != 0x2e && text.charCodeAt(to) != 0x5b) to++;
      const key = text.substring(from, to);
      if (key.length == 0) return refused(written, "a '.' must be followed by a member name");
      if (key == "*") return refused(written, "wildcards ('*') are not supported");
      steps.push(new Step(key, 0));
      at = to;
    } else if (c == 0x5b) {
      const bracket = parseBracket(text, at + 1);
      if (bracket.problem.length > 0) return refused(written, bracket.problem);
      steps.push(bracket.step as Step);
      at = bracket.end;
    } else {
      return refused(written, "expected '.' or '[' at character " + (at + 1).toString());
    }
  }
  const parsed = new ParsedSelector();
  parsed.selector = new Selector(written.trim(), steps);
  return parsed;
}

class Bracket {
  step: Step | null = null;
  /** Just past the closing ']'. */
  end: i32 = 0;
  problem: string = "";
}

// `from` is just past '['.
function parseBracket(text: string, from: i32): Bracket {
  const result = new Bracket();
  let at = skipBlanks(text, from);
  const quote = text.charCodeAt(at);
  if (quote == 0x27 || quote == 0x22) {
    const key = new Array<string>();
    at++;
    while (at < text.length && text.charCodeAt(at) != quote) {
      if (text.charCodeAt(at) == 0x5c && at + 1 < text.length) at++; // \' \" \\
      key.push(text.charAt(at));
      at++;
    }
    if (at >= text.length) return bracketProblem(result, "unterminated quoted member name");
    result.step = new Step(key.join(""), 0);
    at = skipBlanks(text, at + 1);
  } else {
    const start = at;
    if (text.charCodeAt(at) == 0x2d) at++;
    const digitsFrom = at;
    while (at < text.length && text.charCodeAt(at) >= 0x30 && text.charCodeAt(at) <= 0x39) at++;
    if (at == digitsFrom) {
      const c = text.charCodeAt(at);
      if (c == 0x2a) return bracketProblem(result, "wildcards ('[*]') are not supported");
      if (c == 0x3f) return bracketProblem(result, "filters ('[?…]') are not supported");
      return bracketProblem(result, "expected a quoted member name or an index after '['");
    }
    if (at - digitsFrom > 9) return bracketProblem(result, "the index is too large");
    result.step = new Step(null, I32.parseInt(text.substring(start, at)));
    at = skipBlanks(text, at);
  }
  if (text.charCodeAt(at) != 0x5d) {
    if (text.charCodeAt(at) == 0x3a) return bracketProblem(result, "slices ('[a:b]') are not supported");
    if (text.charCodeAt(at) == 0x2c) return bracketProblem(result, "unions ('[a,b]') are not supported");
    return bracketProblem(result, "expected ']' at character " + (at + 1).toString());
  }
  result.end = at + 1;
  return result;
}

function bracketProblem(result: Bracket, problem: string): Bracket {
  result.problem = problem;
  return result;
}

function skipBlanks(text: string, at: i32): i32 {
  while (at < text.length && text.charCodeAt(at) == 0x20) at++;
  return at;
}

/** What a selector found: the value, or where and why it found nothing. */
export class Selection {
  value: JsonValue | null = null;
  /** Why nothing was found ("$.data has no member 'hosts'"); "" when found. */
  miss: string = "";
}

/** Follows the selector from `from`. */
export function select(from: JsonValue, selector: Selector): Selection {
  const selection = new Selection();
  let current = from;
  let path = "$";
  for (let i = 0; i < selector.steps.length; i++) {
    const step = selector.steps[i];
    const key = step.key;
    const kind = current.kind;
    let next: JsonValue | null = null;
    if (key !== null) {
      if (kind != JsonKind.Object) {
        selection.miss = path + " is " + describeKind(kind) + ", not an object";
        return selection;
      }
      next = current.member(key);
      if (next === null) {
        selection.miss = path + " has no member '" + key + "'";
        return selection;
      }
    } else {
      if (kind != JsonKind.Array) {
        selection.miss = path + " is " + describeKind(kind) + ", not an array";
        return selection;
      }
      const elements = current.elements();
      const index = step.index < 0 ? elements.length + step.index : step.index;
      if (index < 0 || index >= elements.length) {
        selection.miss = path + " has no element " + step.index.toString() + " (it has " + elements.length.toString() + ")";
        return selection;
      }
      next = elements[index];
    }
    current = next as JsonValue;
    path += step.toString();
  }
  selection.value = current;
  return selection;
}
