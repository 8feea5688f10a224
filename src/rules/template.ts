import { Context, Liquid, Output, Tag, TokenKind, toValue, toValueSync, type Template as LiquidTemplate } from "liquidjs";

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
  /** The engine's extra filters (plugins' filters) the template uses, by name. */
  readonly extraFilters: readonly string[];
  /** Whether it reads what earlier rules set (`outcomes`, `attributes`). */
  readonly readsState: boolean;
  /**
   * Whether it may render otherwise for the same host at another time: it uses a date filter (which reads
   * the clock for "now" and "today", and the machine's time zone) or `sample` (random). What is kept from
   * one run to the next (an export's memos) is not kept for rules with such templates.
   */
  readonly unstable: boolean;
  /** Renders the template; throws a TemplateError when a filter fails or a limit is hit. */
  render(scope: TemplateScope): string;
}

/** A template that does not compile: the message says what and where in the template. */
export class TemplateSyntaxError extends Error {}

/** A template that failed while rendering for one host. */
export class TemplateError extends Error {}

/** Thrown by an extra filter to stop a render: it reaches the render's caller as it is. */
export class RenderInterrupt extends Error {}

/**
 * A filter beyond LiquidJS's own (a plugin's): its name, how many arguments it takes after the value, and
 * the function that computes it.
 */
export interface ExtraFilter {
  name: string;
  minArgs: number;
  maxArgs: number;
  apply(value: unknown, args: unknown[]): unknown;
}

/**
 * How long one render of a template with tags may take, and how much any render may allocate (LiquidJS
 * counts string and array sizes; the allocation bound is what stops runaway loops). The time is wall-clock:
 * a garbage collection or a busy machine pausing the process counts too, so it is generous, lest a host
 * fail because the machine was slow.
 */
const RENDER_LIMIT_MS = 1000;
const MEMORY_LIMIT = 1_000_000;

/** Tags that read template files: a rule's template stands alone. */
const FILE_TAGS = ["include", "render", "layout"];

/** LiquidJS's filters whose output is not a function of their input alone: the clock, the time zone, chance. */
const UNSTABLE_FILTERS: ReadonlySet<string> = new Set(["date", "date_to_xmlschema", "date_to_rfc822", "date_to_string", "date_to_long_string", "sample"]);
/** The same, found in the source: a filter always follows a `|`. Checked besides the parsed uses, to err on the safe side. */
const UNSTABLE_SOURCE = /\|\s*(date\w*|sample)\b/;

function refusedTag(name: string): TagClass {
  return class extends Tag {
    constructor(...args: ConstructorParameters<typeof Tag>) {
      super(...args);
      throw new TemplateSyntaxError(`{% ${name} %} is not available: a rule's template cannot read files`);
    }
    *render(): Generator<unknown, void, unknown> {}
  };
}

function makeEngine(extra: readonly ExtraFilter[]): Liquid {
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
    // Named, not looked up: LiquidJS would make an Intl.DateTimeFormat to learn the system's locale, a fifth
    // of a CLI command's start, and a date filter's month names would change with the machine.
    locale: "en-US",
  });
  for (const name of FILE_TAGS) engine.registerTag(name, refusedTag(name));
  for (const filter of extra) engine.registerFilter(filter.name, (value: unknown, ...args: unknown[]) => filter.apply(value, args));
  return engine;
}

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

/** Tokens are told apart by their kind: class names do not survive the compiled binary's minifier. */
interface LiquidToken {
  kind: TokenKind;
  content?: unknown;
  variable?: unknown;
  props?: LiquidToken[];
}

/** The closure for a literal or a property path (`labels.site`, `labels['a b']`, `labels[key]`); undefined for anything else. */
function readOf(token: LiquidToken): Read | undefined {
  if ("content" in token) {
    const content = token.content;
    return () => content;
  }
  if (token.kind !== TokenKind.PropertyAccess || token.variable || !token.props?.length) return undefined;
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
  // LiquidJS's Filter.render calls the handler with {context, token, liquid} as `this`: one such object per filter, its context set per call.
  const filters: { handler: LiquidFilter["handler"]; self: { context: Context | undefined; token: unknown; liquid: Liquid }; args: Read[] }[] = [];
  for (const filter of value.filters) {
    const args: Read[] = [];
    for (const arg of filter.args) {
      const pair = Array.isArray(arg);
      const read = readOf(pair ? arg[1] : arg);
      if (!read) return undefined;
      args.push(pair ? (scope, context) => [arg[0], read(scope, context)] : read);
    }
    filters.push({ handler: filter.handler, self: { context: undefined, token: filter.token, liquid: filter.liquid }, args });
  }
  return (scope, context) => {
    let result = initial(scope, context);
    for (const { handler, self, args } of filters) {
      self.context = context;
      const value =
        args.length === 0
          ? handler.call(self, result)
          : args.length === 1
            ? handler.call(self, result, args[0]!(scope, context))
            : handler.apply(self, [result, ...args.map((arg) => arg(scope, context))]);
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
    } else if ((template as unknown as { token: LiquidToken }).token.kind === TokenKind.HTML) parts.push((template as unknown as { str: string }).str);
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

/** What a render throws: a filter's interrupt or TemplateError as it is (LiquidJS wraps what tags throw), anything else as a TemplateError. */
function failure(error: unknown): Error {
  const original = (error as { originalError?: unknown } | undefined)?.originalError ?? error;
  if (original instanceof RenderInterrupt || original instanceof TemplateError) return original;
  return new TemplateError(reason(error));
}

interface FilterUse {
  name: string;
  args: unknown[];
}

/** Every filter a parsed template applies, in outputs and in tags (`{% if x | f %}`, `{% assign %}`) and their blocks. */
function* filterUses(templates: readonly LiquidTemplate[]): Generator<FilterUse> {
  for (const template of templates) {
    const node = template as unknown as { arguments?: () => Iterable<unknown>; children?: (partials: unknown, sync: boolean) => unknown };
    for (const argument of node.arguments?.() ?? []) {
      const filters = (argument as { filters?: unknown }).filters;
      if (Array.isArray(filters)) yield* filters as FilterUse[];
    }
    if (node.children) yield* filterUses(toValueSync(node.children([], true)) as LiquidTemplate[]);
  }
}

/**
 * What one render may allocate, counted as LiquidJS's memory limiter counts it (the filters call
 * `use`), and counted afresh for each render: templates that run as closures share one Context, since
 * making one per render was a tenth of evaluating rules.
 */
class RenderBudget {
  private used = 0;

  reset(): void {
    this.used = 0;
  }

  use(count: number): void {
    if (!(+count > 0)) return;
    this.used += +count;
    if (this.used > MEMORY_LIMIT) throw new TemplateError("memory alloc limit exceeded");
  }

  check(): void {}
}

/**
 * Compiles templates with LiquidJS's filters and, for the rules of one config, the plugins' filters
 * (each given as an ExtraFilter). Parsing checks that every filter exists and that an extra one gets
 * the arguments it takes.
 */
export class TemplateEngine {
  private readonly liquid: Liquid;
  private readonly extra: Map<string, ExtraFilter>;
  private readonly budget = new RenderBudget();
  /** The Context closures render in; replaced after a failed render, which may have left a scope pushed. */
  private context!: Context;

  constructor(extra: readonly ExtraFilter[] = []) {
    this.liquid = makeEngine(extra);
    this.extra = new Map(extra.map((filter) => [filter.name, filter]));
    this.freshContext();
  }

  private freshContext(): void {
    this.context = new Context({}, this.liquid.options, {}, { liquid: this.liquid, memoryLimit: this.budget as unknown as Context["memoryLimit"] });
  }

  /** Runs a template's closures in the shared Context, as a render of LiquidJS would with `scope` (the Context's environment, for filters that evaluate expressions). */
  private renderDirect(fast: (scope: TemplateScope, context: Context) => string, scope: TemplateScope): string {
    const context = this.context;
    context.environments = scope;
    this.budget.reset();
    try {
      return fast(scope, context);
    } catch (error) {
      this.freshContext();
      throw failure(error);
    }
  }

  /** Whether LiquidJS itself has a filter of this name (a plugin's may not take it). */
  static hasBuiltinFilter(name: string): boolean {
    return Object.hasOwn(plainEngine().liquid.filters, name);
  }

  /** Parses a template once; a syntax error, an unknown filter, a refused tag or a wrong number of arguments throws TemplateSyntaxError. */
  compile(source: string): Template {
    const engine = this.liquid;
    let templates: LiquidTemplate[];
    try {
      templates = engine.parse(source);
    } catch (error) {
      throw new TemplateSyntaxError(reason(error));
    }
    const extraFilters = new Set<string>();
    let unstable = UNSTABLE_SOURCE.test(source);
    for (const use of filterUses(templates)) {
      if (UNSTABLE_FILTERS.has(use.name)) unstable = true;
      if (this.extra.size > 0) {
        const filter = this.extra.get(use.name);
        if (!filter) continue;
        extraFilters.add(filter.name);
        const count = use.args.length;
        if (count < filter.minArgs || count > filter.maxArgs) {
          const takes = filter.minArgs === filter.maxArgs ? `${filter.maxArgs}` : `${filter.minArgs} to ${filter.maxArgs}`;
          throw new TemplateSyntaxError(`filter ${filter.name} takes ${takes} argument${takes === "1" ? "" : "s"}, given ${count}`);
        }
      }
    }
    const globals = Object.keys(engine.analyzeSync(templates).globals);
    const facts = { source, extraFilters: [...extraFilters], unstable, readsState: globals.includes("outcomes") || globals.includes("attributes") };
    const fast = direct(templates);
    if (fast) return { ...facts, direct: true, render: (scope) => this.renderDirect(fast, scope) };
    return {
      ...facts,
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
}

/** Templates with LiquidJS's filters only, made when first needed (most commands compile none). */
let plain: TemplateEngine | undefined;
const plainEngine = () => (plain ??= new TemplateEngine());

/** Parses a template of LiquidJS's filters once (see TemplateEngine.compile). */
export function compileTemplate(source: string): Template {
  return plainEngine().compile(source);
}

/** Whether a string is a template at all: text without `{{` or `{%` is used as it is. */
export function isTemplate(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}
