/**
 * The process-wide set of secret values resolved from the config. Everything that leaves the process
 * as text (log lines, error messages, API answers) passes through `redact`, so a secret that slipped
 * into a message is still never shown; texts a plugin produced are redacted before they are stored.
 */
const secrets = new Set<string>();

/** The text that stands in for a secret value. */
export const REDACTED = "<redacted>";

export function registerSecret(value: string): void {
  // Very short values would redact ordinary words; the config refuses nothing here, it just does not mask them.
  if (value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A JSON value with every string in it (keys too) redacted. */
export function redactJson(value: unknown): unknown {
  if (secrets.size === 0) return value;
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [redact(key), redactJson(item)]));
  return value;
}

/**
 * The known secrets that a JSON text (or its UTF-8 bytes, in parts) carries (as such or JSON-escaped): what a sandbox process is told,
 * so it can redact a call's output without learning any secret the call was not given.
 */
export function secretsIn(json: string | Uint8Array[]): string[] {
  if (secrets.size === 0) return [];
  const texts = typeof json === "string" ? [json] : json.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  return [...secrets].filter((secret) => texts.some((text) => text.includes(secret) || text.includes(JSON.stringify(secret).slice(1, -1))));
}
