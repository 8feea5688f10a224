import { RenderInterrupt, TemplateError, type ExtraFilter, type Template, type TemplateScope } from "./template.ts";

/**
 * Template filters and condition tests that plugins provide (Ansible's filter and test plugins). They
 * run in the plugin's sandbox, so a result is not there when a template or condition asks for it:
 * rules are evaluated for a page of hosts at once, every value a host needs and nobody has asked for yet
 * is gathered, each function gets one call with all of its values, and the hosts that were waiting are
 * evaluated again with the answers at hand. A host costs no call of its own: a page costs one call per
 * function and round, and the rounds are as many as a host has filters in a row (`{{ x | a | b }}`, or a
 * template reading what an earlier plugin-filtered one set).
 *
 * While a host waits, the rest of its rules are still looked at, so that one round gathers every value
 * the host's conditions and its other templates need; only templates that read what earlier rules set
 * (`outcomes`, `attributes`) do not ask, since what they would read is not known yet.
 */

/** A filter or test of a plugin, as rules use it. */
export interface PluginFunction {
  /** As rules write it: `<ident>_<name>`. */
  readonly name: string;
  readonly plugin: string;
  readonly kind: "filter" | "test";
  /** Its name in the plugin's manifest. */
  readonly entry: string;
  /** The manifest that declares it, for problems. */
  readonly manifest: string;
  /** Filters: the arguments it takes after the value. Tests: 0 or 1 (the condition's value). */
  readonly minArgs: number;
  readonly maxArgs: number;
}

export interface FunctionItem {
  value: unknown;
  args: unknown[];
}

/** One item's result: the value, or why the plugin could not give it (that item fails; the others do not). */
export type ItemResult = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Runs one plugin function on items, answering one result per item in their order. It never throws
 * for what the plugin does: a failed call fails its items.
 */
export type FunctionCaller = (fn: PluginFunction, items: FunctionItem[]) => Promise<ItemResult[]>;

/** A value not known yet: the evaluation of this host is done again once it is. */
class Pending extends RenderInterrupt {}
const PENDING = new Pending("waiting for a plugin's answer");

/** How often a page may go back to the plugins before the hosts still waiting fail: far more than rules need. */
const MAX_ROUNDS = 32;

/** A value in messages, short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The results known while a page (or one host's explanation) is evaluated, and the values still to ask for. */
class CallSession {
  private readonly results = new Map<string, ItemResult>();
  private misses = new Map<PluginFunction, Map<string, FunctionItem>>();
  /** Whether the host being evaluated needs a value not known yet. */
  waiting = false;
  /** Set while a template renders whose input may be wrong (it reads what rules set, and the host waits): it asks for nothing. */
  deferring = false;

  result(fn: PluginFunction, value: unknown, args: unknown[]): unknown {
    const key = `${fn.name}\0${JSON.stringify(value) ?? "null"}\0${JSON.stringify(args)}`;
    const known = this.results.get(key);
    if (known) {
      if (known.ok) return known.value;
      throw new TemplateError(`${fn.kind} ${fn.name} of plugin ${fn.plugin} failed on ${shown(value)}: ${known.message}`);
    }
    if (!this.deferring) {
      let items = this.misses.get(fn);
      if (!items) this.misses.set(fn, (items = new Map()));
      items.set(key, { value: value ?? null, args });
    }
    this.waiting = true;
    throw PENDING;
  }

  get asked(): boolean {
    return this.misses.size > 0;
  }

  /** Calls each function once with every value asked for, concurrently, and keeps the results. */
  async ask(call: FunctionCaller): Promise<void> {
    const misses = this.misses;
    this.misses = new Map();
    await Promise.all(
      [...misses].map(async ([fn, items]) => {
        const keys = [...items.keys()];
        const results = await call(fn, [...items.values()]);
        keys.forEach((key, index) => this.results.set(key, results[index] ?? { ok: false, message: "no result" }));
      }),
    );
  }
}

/** The plugin functions of one compiled config, and the session its evaluations read results from. */
export class PluginFunctions {
  private session: CallSession | undefined;

  constructor(readonly byName: ReadonlyMap<string, PluginFunction>) {}

  /** The filters, as the template engine registers them. */
  filters(): ExtraFilter[] {
    return [...this.byName.values()]
      .filter((fn) => fn.kind === "filter")
      .map((fn) => ({ name: fn.name, minArgs: fn.minArgs, maxArgs: fn.maxArgs, apply: (value, args) => this.call(fn, value, args) }));
  }

  private call(fn: PluginFunction, value: unknown, args: unknown[]): unknown {
    if (!this.session) throw new TemplateError(`${fn.kind} ${fn.name} runs in plugin ${fn.plugin}'s sandbox, which this evaluation cannot reach`);
    return this.session.result(fn, value, args);
  }

  /** A test's answer for a value (undefined: the host does not have it, and the condition does not hold); false while it is not known. */
  test(fn: PluginFunction, value: unknown, args: unknown[]): boolean {
    if (value === undefined) return false;
    try {
      return this.call(fn, value, args) === true;
    } catch (error) {
      if (error === PENDING) return false;
      throw error;
    }
  }

  /** Renders a template that uses plugin filters: "" while a value is not known (the host is evaluated again). */
  render(template: Template, scope: TemplateScope, readsState = template.readsState): string {
    const session = this.session;
    if (session) session.deferring = session.waiting && readsState;
    try {
      return template.render(scope);
    } catch (error) {
      if (error === PENDING) return "";
      throw error;
    } finally {
      if (session) session.deferring = false;
    }
  }

  /**
   * `work` done for every item (a host) with the plugins' answers at hand: a first pass over all of them
   * gathers what they need, one call per function answers it, and the items that waited are done again,
   * until none waits. Items still waiting after MAX_ROUNDS get `gaveUp`.
   */
  async resolve<T, R>(items: readonly T[], work: (item: T) => R, call: FunctionCaller, gaveUp: (item: T) => R): Promise<R[]> {
    const session = new CallSession();
    const results = new Array<R>(items.length);
    let waiting = items.map((_, index) => index);
    for (let round = 1; waiting.length > 0; round++) {
      const again: number[] = [];
      this.session = session;
      try {
        for (const index of waiting) {
          session.waiting = false;
          const result = work(items[index]!);
          if (session.waiting) again.push(index);
          else results[index] = result;
        }
      } finally {
        this.session = undefined;
      }
      if (again.length === 0 || !session.asked || round === MAX_ROUNDS) {
        for (const index of again) results[index] = gaveUp(items[index]!);
        break;
      }
      await session.ask(call);
      waiting = again;
    }
    return results;
  }
}

/** The message of a host that waited for plugins' answers too many rounds. */
export function gaveUpMessage(hostname: string): string {
  return `host ${hostname}: the rules still wait for plugin filters or tests after ${MAX_ROUNDS} rounds of calls`;
}
