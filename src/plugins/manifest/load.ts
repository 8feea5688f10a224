import { parse as parseJsonc, printParseErrorCode, type ParseError } from "jsonc-parser";
import * as v from "valibot";
import { issuesToProblems, type Problem } from "../../core/problems.ts";
import { API_VERSION, ManifestSchema, type Manifest } from "./schema.ts";

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; problems: Problem[] };

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
}

/** Parses and validates a plugin.json text; every problem names the file and the field. */
export function parseManifest(text: string, file: string): ManifestResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Bun's JSON.parse says what but not where; jsonc-parser (only on this path) gives the offset.
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
    const first = errors[0];
    const reason = first ? printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase() : "not JSON";
    return { ok: false, problems: [{ file, position: first ? lineAndColumn(text, first.offset) : undefined, message: `invalid JSON: ${reason}` }] };
  }
  const parsed = v.safeParse(ManifestSchema, raw);
  if (!parsed.success) {
    return { ok: false, problems: issuesToProblems(parsed.issues, ManifestSchema, { file, format: "json", locate: () => undefined }) };
  }
  const manifest = parsed.output;
  const problems: Problem[] = [];
  const at = (key: string, message: string) => problems.push({ file, key, message });
  if (manifest.api_version !== API_VERSION) {
    at("api_version", `the plugin speaks ABI v${manifest.api_version}; this syncer speaks v${API_VERSION} (update the plugin or syncer)`);
  }
  for (const [name, option] of Object.entries(manifest.options)) {
    const key = `options.${name}`;
    if (option.type === "choice" && !option.choices) at(key, "a choice option needs 'choices'");
    if (option.type !== "choice" && option.choices) at(`${key}.choices`, `only a choice option has choices (this one is ${option.type})`);
    if (option.default !== undefined && !defaultFits(option.type, option.default, option.choices)) {
      at(`${key}.default`, `the default ${JSON.stringify(option.default)} is not a valid ${option.type}`);
    }
  }
  for (const [name, command] of Object.entries(manifest.commands)) {
    const option = command.file_option;
    if (option !== undefined && manifest.options[option]?.type !== "string") {
      at(`commands.${name}.file_option`, `'${option}' must be a string option declared in 'options'`);
    }
    if (command.phases && command.kind !== "export") at(`commands.${name}.phases`, `only an export command has phases; this one is ${command.kind}`);
  }
  for (const [name, filter] of Object.entries(manifest.filters)) {
    const firstOptional = filter.arguments.findIndex((argument) => argument.optional);
    const late = firstOptional < 0 ? -1 : filter.arguments.findIndex((argument, index) => index > firstOptional && !argument.optional);
    if (late >= 0) at(`filters.${name}.arguments.${late}`, `required argument '${filter.arguments[late]!.name}' after optional '${filter.arguments[firstOptional]!.name}': optional arguments come last`);
  }
  const viewNames = new Set<string>();
  for (const [index, view] of manifest.views.entries()) {
    if (viewNames.has(view.name)) at(`views.${index}.name`, `a second view named '${view.name}'`);
    viewNames.add(view.name);
  }
  return problems.length ? { ok: false, problems } : { ok: true, manifest };
}

function defaultFits(type: string, value: unknown, choices: string[] | undefined): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isInteger(value);
    case "bool":
      return typeof value === "boolean";
    case "list":
      return Array.isArray(value);
    case "choice":
      return typeof value === "string" && (choices ?? []).includes(value);
    default:
      return false;
  }
}
