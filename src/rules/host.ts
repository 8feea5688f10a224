/** A host as rules see it: what the inventory holds, as exports receive it. */
export interface HostData {
  hostname: string;
  account: string | null;
  labels: Record<string, string>;
  inventory: Record<string, unknown>;
}

/** Names every plain object answers through its prototype ("constructor", "toString"…): read only as own keys. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A reader of one key of a flat map that never sees the prototype; undefined when the key is missing. */
export function keyReader(key: string): (map: Record<string, unknown>) => unknown {
  if (INHERITED.has(key)) return (map) => (Object.hasOwn(map, key) ? map[key] : undefined);
  return (map) => map[key];
}

/** Whether a name matches a pattern list's entry: the name itself, or `prefix*` for every name starting with prefix. */
export interface NamePatterns {
  exact: Set<string>;
  prefixes: string[];
}

export function namePatterns(patterns: readonly string[]): NamePatterns {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith("*")) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  return { exact, prefixes };
}

export function matchesName(patterns: NamePatterns, name: string): boolean {
  if (patterns.exact.has(name)) return true;
  for (const prefix of patterns.prefixes) if (name.startsWith(prefix)) return true;
  return false;
}
