/**
 * The process-wide set of secret values resolved from the config. Everything that leaves the process
 * as text (log lines, error messages, API answers) passes through `redact`, so a secret that slipped
 * into a message is still never shown.
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
