import { Context, Liquid, Output, Tag, toValue, toValueSync, type Template as LiquidTemplate } from "liquidjs";

type TagClass = Parameters<Liquid["registerTag"]>[1];
import { MAX_TEMPLATE_LENGTH } from "../config/rules.ts";

/**
 * Liquid templates for rules and rewrites, through LiquidJS: Jinja-like, and it cannot run code. The
 * engine reads no files (include, render and layout are refused when a template is compiled), knows
 * only its own filters (an unknown one is a syntax error), reads only a value's own properties, and
 * bounds a render's time and memory.
 *
 * Each template is parsed once, when the rules are compiled. LiquidJS renders through generators, about
 * 10 µs for `/{{ labels.site }}/{{ labels.role | default: 'misc' }}`: 100k hosts with a few templated
 * outcomes each would take seconds. A template made only of text and `{{ value | filter: args }}`
 * outputs (what rules almost always hold) is therefore run as a chain of closures over the parsed
 * template: the same property reads (Context.readProperty) and the same filter functions LiquidJS uses,
 * about 50× faster. Tags (if, for, assign, …) render through LiquidJS itself. test/rules/template.test.ts
 * holds both ways to the same output.
 */

/** What a template sees: hostname, labels, inventory, account, outcomes so far; name and value in rewrites. */
export type TemplateScope = Record<string, unknown>;

export interface Template {
  readonly source: string;
  /** True when the template runs as closures; false when LiquidJS renders it (it holds tags). */
  readonly direct: boolean;
  /** Renders the template; throws a TemplateError when a filter fails or a limit is hit. */
  render(scope: TemplateScope): string;
}

/** A template that does not compile: the message says what and where in the template. */
export class TemplateSyntaxError extends Error {}

/** A template that failed while rendering for one host. */
export class TemplateError extends Error {}

/** How long one render may take, and how much it may allocate (LiquidJS counts string and array sizes). */
const RENDER_LIMIT_MS = 100;
const MEMORY_LIMIT = 1_000_000;

/** Tags that read template files: a rule's template stands alone. */
const FILE_TAGS = ["include", "render", "layout"];

function refusedTag(name: string): TagClass {
  return class extends Tag {
    constructor(...args: ConstructorParameters<typeof Tag>) {
      super(...args);
      throw new TemplateSyntaxError(`{% ${name} %} is not available: a rule's template cannot read files`);
    }
    *render(): Generator<unknown, void, unknown> {}
  };
}

function makeEngine(): Liquid {
  const engine = new Liquid({
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    cache: false,
    relativeReference: false,
    root: [],
    partials: [],
    layouts: [],
    parseLimit: MAX_TEMPLATE_LENGTH,
    renderLimit: RENDER_LIMIT_MS,
    memoryLimit: MEMORY_LIMIT,
  });
  for (const name of FILE_TAGS) engine.registerTag(name, refusedTag(name));
  return engine;
}

const engine = makeEngine();

/** LiquidJS's text for an output value: nothing for nil, arrays joined, anything else as a string. */
function stringify(value: unknown): string {
  value = toValue(value);
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(stringify).join("");
  return String(value);
}

/** A value read from the scope, as one render evaluates it. */
type Read = (scope: TemplateScope, context: Context) => unknown;

interface LiquidToken {
  content?: unknown;
  variable?: unknown;
  props?: LiquidToken[];
  constructor: { name: string };
}

/** The closure for a literal or a property path (`labels.site`, `labels['a b']`, `labels[key]`); undefined for anything else. */
function readOf(token: LiquidToken): Read | undefined {
  if ("content" in token) {
    const content = token.content;
    return () => content;
  }
  if (token.constructor.name !== "PropertyAccessToken" || token.variable || !token.props?.length) return undefined;
  const keys: Read[] = [];
  for (const prop of token.props) {
    const key = readOf(prop);
    if (!key) return undefined;
    keys.push(key);
  }
  const [first, ...rest] = keys;
  return (scope, context) => {
    const root = toValue(first!(scope, context)) as string;
    // As Context.findScope: a name the scope does not have is looked up in the (empty) globals.
    let value: unknown = context.readProperty(root in scope ? scope : {}, root);
    for (const key of rest) value = context.readProperty(value as object, toValue(key(scope, context)) as string);
    return value;
  };
}

interface LiquidFilter {
  handler: (this: unknown, value: unknown, ...args: unknown[]) => unknown;
  args: (LiquidToken | [string, LiquidToken])[];
  token: unknown;
  liquid: Liquid;
}

/** The closure for `{{ initial | filter: args | … }}`; undefined when it holds an operator, a range or a filtered argument. */
function outputOf(output: Output): Read | undefined {
  const value = output.value as unknown as { initial: { postfix: LiquidToken[] }; filters: LiquidFilter[] };
  if (value.initial.postfix.length !== 1) return undefined;
  const initial = readOf(value.initial.postfix[0]!);
  if (!initial) return undefined;
  const filters: { filter: LiquidFilter; args: ((scope: TemplateScope, context: Context) => unknown)[] }[] = [];
  for (const filter of value.filters) {
    const args: ((scope: TemplateScope, context: Context) => unknown)[] = [];
    for (const arg of filter.args) {
      const pair = Array.isArray(arg);
      const read = readOf(pair ? arg[1] : arg);
      if (!read) return undefined;
      args.push(pair ? (scope, context) => [arg[0], read(scope, context)] : read);
    }
    filters.push({ filter, args });
  }
  return (scope, context) => {
    let result = initial(scope, context);
    for (const { filter, args } of filters) {
      // LiquidJS's Filter.render: the handler called with {context, token, liquid} as `this`.
      const self = { context, token: filter.token, liquid: filter.liquid };
      const value =
        args.length === 0
          ? filter.handler.call(self, result)
          : args.length === 1
            ? filter.handler.call(self, result, args[0]!(scope, context))
            : filter.handler.apply(self, [result, ...args.map((arg) => arg(scope, context))]);
      result = toValueSync(value);
    }
    return toValue(result);
  };
}

/** A template as closures, or undefined when it holds a tag or an expression only LiquidJS evaluates. */
function direct(templates: LiquidTemplate[]): ((scope: TemplateScope, context: Context) => string) | undefined {
  const parts: (string | Read)[] = [];
  for (const template of templates) {
    if (template instanceof Output) {
      const read = outputOf(template);
      if (!read) return undefined;
      parts.push(read);
    } else if (template.constructor.name === "HTML") parts.push((template as unknown as { str: string }).str);
    else return undefined;
  }
  if (parts.every((part) => typeof part === "string")) {
    const text = parts.join("");
    return () => text;
  }
  return (scope, context) => {
    let text = "";
    for (const part of parts) text += typeof part === "string" ? part : stringify(part(scope, context));
    return text;
  };
}

/** LiquidJS's message with its ", line:1, col:6" said the way config problems say where. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, line:(\d+), col:(\d+)$/, " (template line $1, column $2)");
}

function failure(error: unknown): TemplateError {
  return new TemplateError(reason(error));
}

/** Parses a template once; a syntax error, an unknown filter or a refused tag throws TemplateSyntaxError. */
export function compileTemplate(source: string): Template {
  let templates: LiquidTemplate[];
  try {
    templates = engine.parse(source);
  } catch (error) {
    throw new TemplateSyntaxError(reason(error));
  }
  const fast = direct(templates);
  if (fast) {
    return {
      source,
      direct: true,
      render(scope) {
        // A context per render: its limits count this render only.
        const context = new Context(scope as object, engine.options, {}, { liquid: engine });
        try {
          return fast(scope, context);
        } catch (error) {
          throw failure(error);
        }
      },
    };
  }
  return {
    source,
    direct: false,
    render(scope) {
      try {
        return engine.renderSync(templates, scope) as string;
      } catch (error) {
        throw failure(error);
      }
    },
  };
}

/** Whether a string is a template at all: text without `{{` or `{%` is used as it is. */
export function isTemplate(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}
