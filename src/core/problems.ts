import { closest, distance } from "fastest-levenshtein";
import * as v from "valibot";
/** A 1-based position in a source file. */
export interface SourcePosition {
  line: number;
  column: number;
}

export type KeyPath = readonly (string | number)[];

/** Finds where a key path is written: its key, or its value. */
export type Locate = (path: KeyPath, part: "key" | "value") => SourcePosition | undefined;

/** One thing wrong with a file (the config, a plugin manifest), with where it is. */
export interface Problem {
  file: string;
  position?: SourcePosition;
  /** Dotted key path, e.g. `accounts.netbox1.address`; absent for whole-file problems. */
  key?: string;
  message: string;
}

export function dottedPath(path: KeyPath): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : /^[A-Za-z0-9_-]+$/.test(part) ? (i ? "." : "") + part : `${i ? "." : ""}"${part}"`))
    .join("");
}

export function formatProblem(problem: Problem): string {
  const where = problem.position ? `${problem.file}:${problem.position.line}:${problem.position.column}` : problem.file;
  return `${where}: ${problem.key ? `${problem.key}: ` : ""}${problem.message}`;
}

/** The names of the types a value can have, for messages an operator recognises. */
function typeName(value: unknown, format: "toml" | "json"): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date-time";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return Number.isInteger(value) ? "an integer" : "a float";
    case "boolean":
      return "a boolean";
    case "bigint":
      return "an integer";
    case "object":
      return value === null ? "null" : format === "toml" ? "a table" : "an object";
    default:
      return "nothing";
  }
}

/** What was found: a string is quoted (values are checked before secret references resolve), else its type. */
function found(input: unknown, format: "toml" | "json"): string {
  if (typeof input !== "string") return typeName(input, format);
  return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
}

const expectedNames: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "a boolean",
  Object: "a table (object)",
  Array: "an array",
};

type AnySchema = v.GenericSchema & { wrapped?: AnySchema; entries?: Record<string, AnySchema>; value?: AnySchema; item?: AnySchema };

/** The keys a strict table at `path` accepts, found by walking the schema. */
function knownKeys(root: AnySchema, path: KeyPath): string[] {
  let schema: AnySchema | undefined = root;
  const unwrap = () => {
    while (schema?.wrapped) schema = schema.wrapped;
  };
  for (const part of path) {
    unwrap();
    if (!schema) return [];
    if (schema.entries) schema = schema.entries[String(part)];
    else if (schema.value) schema = schema.value;
    else if (schema.item) schema = schema.item;
    else return [];
  }
  unwrap();
  return schema?.entries ? Object.keys(schema.entries) : [];
}

/** The candidate a misspelt name most likely meant, if any is close enough to suggest. */
export function closestMatch(name: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(name, candidates);
  return distance(name, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** "; did you mean 'x'?" when a candidate is close enough, else "". */
export function suggestion(name: string, candidates: string[]): string {
  const best = closestMatch(name, candidates);
  return best ? `; did you mean '${best}'?` : "";
}

function didYouMean(key: string, candidates: string[]): string {
  if (candidates.length === 0) return "";
  const best = closestMatch(key, candidates);
  const list = candidates.map((candidate) => `'${candidate}'`).join(", ");
  return best ? `; did you mean '${best}'? (allowed: ${list})` : ` (allowed: ${list})`;
}

/** Turns valibot's issues into problems that say where, what was expected and what was found. */
export function issuesToProblems(
  issues: readonly v.BaseIssue<unknown>[],
  schema: v.GenericSchema,
  source: { file: string; format: "toml" | "json"; locate: Locate },
): Problem[] {
  const { file, format } = source;
  return issues.map((issue) => {
    const path: KeyPath = (issue.path ?? []).map((item) => item.key as string | number);
    const key = dottedPath(path);
    const last = path[path.length - 1];
    if (issue.type === "strict_object" && issue.expected === "never") {
      const parent = path.slice(0, -1);
      const within = parent.length ? (format === "toml" ? ` in [${dottedPath(parent)}]` : ` in ${dottedPath(parent)}`) : "";
      return {
        file,
        key,
        position: source.locate(path, "key"),
        message: `unknown key '${String(last)}'${within}${didYouMean(String(last), knownKeys(schema as AnySchema, parent))}`,
      };
    }
    if (issue.type === "strict_object" && issue.input === undefined) {
      return { file, key, position: source.locate(path, "key"), message: `required key '${String(last)}' is missing` };
    }
    // A key refused for its name (flatMap in plugins/abi.ts): the message says why.
    if (issue.type === "reserved_key") return { file, key, position: source.locate(path, "key"), message: issue.message };
    if (issue.kind === "schema") {
      const options = issue.type === "picklist" && issue.expected ? issue.expected.replace(/^\((.*)\)$/, "$1").split(" | ") : [];
      const expected = options.length
        ? `one of ${options.join(", ")}`
        : issue.expected
          ? (expectedNames[issue.expected] ?? issue.expected)
          : "something else";
      // A union carries our own message ("a string, number or boolean"); a bare type uses its name.
      const wanted = issue.type === "union" ? issue.message : expected;
      return { file, key, position: source.locate(path, "value"), message: `expected ${wanted}, found ${found(issue.input, format)}` };
    }
    // Validation actions carry our own wording of what is expected (see schema.ts).
    return { file, key, position: source.locate(path, "value"), message: `expected ${issue.message}, found ${found(issue.input, format)}` };
  });
}
