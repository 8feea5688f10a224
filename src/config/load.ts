import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as v from "valibot";
import { describeSystemError, SyncerError } from "../core/errors.ts";
import { registerSecret } from "../core/redact.ts";
import { dottedPath, formatProblem, issuesToProblems, type KeyPath, type Locate, type Problem } from "../core/problems.ts";
import { parseTomlText, SourceLocator } from "./locate.ts";
import { inheritAccounts } from "./accounts.ts";
import { ConfigSchema, type AccountConfig, type ConfigFile } from "./schema.ts";
import { resolveReferences, SecretError } from "./secrets.ts";
import { checkSemantics } from "./semantics.ts";
import { readIncludedRules, type PlacedRule } from "./include.ts";

/** Where the config is looked for when no --config is given, after $SYNCER_CONFIG. */
export const DEFAULT_CONFIG_PATHS = ["./sync.config.toml", "/etc/syncer/sync.config.toml"];

/** The effective configuration: the file's values with defaults, secrets resolved and paths made absolute. */
export interface Config extends Omit<ConfigFile, "accounts" | "rules"> {
  /** Accounts with what they inherit from their parents applied. */
  accounts: Record<string, AccountConfig>;
  /** This file's rules, then the included files', each with where it is written. */
  rules: PlacedRule[];
  /** The rules files [include] named when the config was loaded. */
  includedFiles: string[];
  source: { path: string; dir: string };
  /** Absolute paths derived from [server] and [plugins]. */
  paths: { dataDir: string; database: string; pluginDirectories: string[] };
  /** Key paths whose value is secret, with the references they came from (for redaction and dumps). */
  secrets: Map<string, string[]>;
  /** Things that work but that an operator should change (a clear-text password, say). */
  warnings: Problem[];
  /** Where a key path is written in the file, for problems found after loading. */
  locate: Locate;
}

/** The config file named by --config or $SYNCER_CONFIG, else the first default place that has one; undefined when none does. */
export function configPathIfAny(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return resolve(explicit);
  if (env.SYNCER_CONFIG) return resolve(env.SYNCER_CONFIG);
  for (const candidate of DEFAULT_CONFIG_PATHS) if (existsSync(candidate)) return resolve(candidate);
  return undefined;
}

/** Picks the config file: --config, else $SYNCER_CONFIG, else the default places. */
export function findConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPathIfAny(explicit, env);
  if (path) return path;
  throw new SyncerError(
    "config",
    `no config file found: give --config PATH or set $SYNCER_CONFIG, or create one of ${DEFAULT_CONFIG_PATHS.join(", ")}`,
  );
}

function readConfigText(path: string): string {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new SyncerError("config", `cannot read config file ${path}: ${describeSystemError(error)}`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new SyncerError("config", `cannot read config file ${path}: it is not valid UTF-8`);
  }
}

/** One config error listing every problem, each with file:line:column. */
export function invalid(path: string, problems: Problem[]): SyncerError {
  const lines = problems.map(formatProblem);
  const summary = problems.length === 1 ? lines[0]! : `${path} has ${problems.length} problems:\n  ${lines.join("\n  ")}`;
  return new SyncerError("config", summary, { problems });
}

/** Keys whose values are secret even when written in clear: masked in dumps and warned about. */
const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential/i;

/**
 * Replaces secret references in every string of the config, in place. Values that came from a reference,
 * and values under secret-looking keys, are recorded as secret and registered for redaction.
 */
interface SecretWalk {
  env: NodeJS.ProcessEnv;
  found: { path: KeyPath; references: string[] }[];
  errors: { path: KeyPath; message: string }[];
}

function resolveSecrets(node: unknown, path: KeyPath, walk: SecretWalk): unknown {
  if (typeof node === "string") {
    const key = String(path[path.length - 1] ?? "");
    try {
      const { value, references } = resolveReferences(node, walk.env);
      if (references.length > 0 || SECRET_KEY.test(key)) {
        walk.found.push({ path, references });
        registerSecret(value);
      }
      return value;
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      walk.errors.push({ path, message: error.message });
      return node;
    }
  }
  if (Array.isArray(node)) return node.map((item, i) => resolveSecrets(item, [...path, i], walk));
  if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      (node as Record<string, unknown>)[key] = resolveSecrets(value, [...path, key], walk);
    }
  }
  return node;
}

/** Where a system-wide install keeps its config, and the state directory its systemd unit gives the daemon (StateDirectory=syncer). */
export const SYSTEM_CONFIG_DIR = "/etc";
export const SYSTEM_STATE_DIR = "/var/lib/syncer";

/**
 * The database's place follows from the config file alone, never from the environment, so the daemon and
 * commands run from a shell open the same database: [server] data_dir if set; for a config under /etc,
 * /var/lib/syncer (the unit's state directory); else `data` beside the config.
 */
function derivePaths(file: ConfigFile, dir: string): Config["paths"] {
  const fromConfig = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const systemWide = dir === SYSTEM_CONFIG_DIR || dir.startsWith(`${SYSTEM_CONFIG_DIR}/`);
  const dataDir = file.server.data_dir ? fromConfig(file.server.data_dir) : systemWide ? SYSTEM_STATE_DIR : join(dir, "data");
  const database = file.server.database ? fromConfig(file.server.database) : join(dataDir, "syncer.db");
  return { dataDir, database, pluginDirectories: file.plugins.directories.map(fromConfig) };
}

/**
 * Under systemd, a database outside $STATE_DIRECTORY is read-only (ProtectSystem=strict) or not the one the
 * unit keeps: said at start and by `config check`, with the setting that fixes it.
 */
function stateDirectoryWarning(paths: Config["paths"], env: NodeJS.ProcessEnv): { path: KeyPath; message: string } | undefined {
  const state = env.STATE_DIRECTORY?.split(":")[0];
  if (!state || paths.database.startsWith(`${state.replace(/\/+$/, "")}/`)) return undefined;
  return {
    path: ["server", "data_dir"],
    message: `the database ${paths.database} is outside $STATE_DIRECTORY (${state}), the service's state directory; set [server] data_dir = ${JSON.stringify(state)}`,
  };
}

/** Parses and validates config text. Throws a SyncerError of kind "config" listing every problem with file:line:column. */
export function parseConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): Config {
  const parsedToml = parseTomlText(text, path);
  if (!parsedToml.ok) throw invalid(path, [parsedToml.problem]);
  const raw = parsedToml.value;

  let locator: SourceLocator | undefined;
  const locate = () => (locator ??= new SourceLocator(text));

  const parsed = v.safeParse(ConfigSchema, raw);
  if (!parsed.success) {
    throw invalid(path, issuesToProblems(parsed.issues, ConfigSchema, { file: path, format: "toml", locate: (at, part) => locate().find(at, part) }));
  }
  const file = parsed.output;
  const dir = dirname(path);
  const included = readIncludedRules(file.include.rules, dir);

  const atPath = (problem: { path: KeyPath; message: string }): Problem => ({
    file: path,
    key: dottedPath(problem.path),
    position: locate().find(problem.path, "value"),
    message: problem.message,
  });

  const semantic = checkSemantics(file);
  if (semantic.length > 0 || included.problems.length > 0) throw invalid(path, [...semantic.map(atPath), ...included.problems]);
  const ownLocate: Locate = (at, part) => locate().find(at, part);
  const rules: PlacedRule[] = [...file.rules.map((rule, index) => ({ rule, origin: { file: path, path: ["rules", index], locate: ownLocate } })), ...included.rules];

  const walk: SecretWalk = { env, found: [], errors: [] };
  resolveSecrets(file, [], walk);
  if (walk.errors.length > 0) throw invalid(path, walk.errors.map(atPath));

  const secrets = new Map(walk.found.map((secret) => [dottedPath(secret.path), secret.references]));
  const inherited = inheritAccounts(file.accounts, secrets);
  if (inherited.problems.length > 0) throw invalid(path, inherited.problems.map(atPath));
  const warnings = walk.found
    .filter((secret) => secret.references.length === 0)
    .map((secret) =>
      atPath({ path: secret.path, message: "a secret written in clear text; use ${env:NAME}, ${file:/path} or ${credential:NAME}" }),
    );

  const paths = derivePaths(file, dir);
  const stateWarning = stateDirectoryWarning(paths, env);
  if (stateWarning) warnings.push(atPath(stateWarning));
  return { ...file, accounts: inherited.accounts, rules, includedFiles: included.files, source: { path, dir }, paths, secrets, warnings, locate: ownLocate };
}

/** Finds, reads, parses and validates the config file. */
export function loadConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = findConfigPath(explicit, env);
  return parseConfig(readConfigText(path), path, env);
}
