import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeSystemError } from "../core/errors.ts";

/**
 * Secret references in config strings: `${env:NAME}`, `${file:/path}`, `${credential:NAME}`
 * (systemd's LoadCredential=, read from $CREDENTIALS_DIRECTORY). `$${` writes a literal `${`.
 * Errors name the reference, never a resolved value.
 */
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

export interface Resolution {
  value: string;
  /** The references the value was built from, e.g. ["env:NETBOX_TOKEN"]; empty for a plain string. */
  references: string[];
}

export class SecretError extends Error {}

function readSecretFile(path: string, what: string): string {
  try {
    // One trailing newline is what editors and `echo` add; it is never part of the secret.
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw new SecretError(`${what} cannot be read: ${describeSystemError(error)}`);
  }
}

function resolveReference(scheme: string, argument: string, env: NodeJS.ProcessEnv): string {
  if (argument === "") throw new SecretError(`\${${scheme}:} names nothing`);
  switch (scheme) {
    case "env": {
      const value = env[argument];
      if (value === undefined) throw new SecretError(`environment variable ${argument} is not set`);
      return value;
    }
    case "file":
      return readSecretFile(argument, `file ${argument}`);
    case "credential": {
      const directory = env.CREDENTIALS_DIRECTORY;
      if (!directory) {
        throw new SecretError(
          `credential ${argument} needs $CREDENTIALS_DIRECTORY, which is not set (run under systemd with LoadCredential=${argument}:…)`,
        );
      }
      if (argument.includes("/")) throw new SecretError(`credential name ${argument} must not contain '/'`);
      return readSecretFile(join(directory, argument), `credential ${argument}`);
    }
    default:
      throw new SecretError(`unknown reference \${${scheme}:…}; use \${env:NAME}, \${file:/path} or \${credential:NAME}`);
  }
}

/** Replaces every reference in `text`; throws SecretError naming the first that cannot be resolved. */
export function resolveReferences(text: string, env: NodeJS.ProcessEnv = process.env): Resolution {
  if (!text.includes("${")) return { value: text, references: [] };
  const references: string[] = [];
  const value = text.replace(REFERENCE, (match, inner: string | undefined) => {
    if (match === "$${") return "${";
    const colon = inner!.indexOf(":");
    if (colon < 0) {
      throw new SecretError(`\${${inner}} is not a reference; write \${env:${inner}}, or $\${ for a literal "\${"`);
    }
    const scheme = inner!.slice(0, colon);
    const argument = inner!.slice(colon + 1);
    references.push(`${scheme}:${argument}`);
    return resolveReference(scheme, argument, env);
  });
  return { value, references };
}
