/** Flat maps (labels, inventory) compared and diffed the same way everywhere. */

export type FlatMap = Record<string, unknown>;

/** Equal as maps: same keys with the same values, whatever the key order. */
export function sameMap(a: FlatMap, b: FlatMap): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!(key in b) || a[key] !== b[key]) return false;
  return true;
}

/** Only what differs: the old and new values of keys added, removed or changed. */
export function mapDiff(before: FlatMap, after: FlatMap): { old: FlatMap; new: FlatMap } {
  const old: FlatMap = {};
  const next: FlatMap = {};
  for (const [key, value] of Object.entries(before)) if (!(key in after) || after[key] !== value) old[key] = value;
  for (const [key, value] of Object.entries(after)) if (!(key in before) || before[key] !== value) next[key] = value;
  return { old, new: next };
}

/** The keys of `inventory` in one namespace (`<namespace>__<field>`). */
export function namespaceOf(inventory: FlatMap, namespace: string): FlatMap {
  const prefix = `${namespace}__`;
  const picked: FlatMap = {};
  for (const [key, value] of Object.entries(inventory)) if (key.startsWith(prefix)) picked[key] = value;
  return picked;
}

/** `inventory` with one namespace replaced by `fields` (given without the prefix). */
export function replaceNamespace(inventory: FlatMap, namespace: string, fields: FlatMap): { namespaced: FlatMap; merged: FlatMap } {
  const prefix = `${namespace}__`;
  const namespaced: FlatMap = {};
  for (const [key, value] of Object.entries(fields)) namespaced[prefix + key] = value;
  const merged: FlatMap = {};
  for (const [key, value] of Object.entries(inventory)) if (!key.startsWith(prefix)) merged[key] = value;
  return { namespaced, merged: Object.assign(merged, namespaced) };
}
