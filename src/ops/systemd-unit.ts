import { SYSTEM_CONFIG_DIR, SYSTEM_STATE_DIR } from "../config/load.ts";
import { SyncerError } from "../core/errors.ts";

/**
 * The systemd service unit that runs `syncer serve`: hardened, with its state in StateDirectory= and its
 * secrets handed over by LoadCredential=. Pure: it builds text from options and touches nothing.
 */

/** Where the service reads its config when no --config is given: the last place syncer itself looks. */
export const DEFAULT_UNIT_CONFIG = "/etc/syncer/sync.config.toml";

/** Above the daemon's own shutdown limits: 10 s for in-flight HTTP requests, about 30 s for running jobs. */
export const STOP_TIMEOUT_SECONDS = 45;

export interface Credential {
  /** What the config calls it: `${credential:NAME}`. */
  name: string;
  /** The file systemd reads it from, outside the service's sandbox. */
  path: string;
}

export interface UnitOptions {
  /** The program and its leading arguments: the syncer binary, or Bun and src/main.ts in a checkout. */
  command: string[];
  /** Absolute path of the config the service runs with. */
  config: string;
  /** A dedicated system user; without one, systemd allocates a user at each start (DynamicUser=yes). */
  user?: string;
  credentials: Credential[];
  /** Named in the header comment. */
  version: string;
}

/** Characters that need neither quotes nor escapes in a systemd command line. */
const PLAIN_WORD = /^[A-Za-z0-9_\/.:@+=,-]+$/;
const CONTROL = /[\x00-\x1f\x7f]/;

function refuseControlCharacters(what: string, value: string): void {
  if (CONTROL.test(value)) throw new SyncerError("usage", `${what} ${JSON.stringify(value)} contains a control character, which a unit file cannot hold`);
}

/**
 * One word of ExecStart= written so systemd reads it back unchanged: `%` is a specifier and `$` an
 * environment variable everywhere (written `%%` and `$$`); spaces, quotes and backslashes need double
 * quotes with C-style escapes (systemd.service(5), "Command lines"; systemd.unit(5), "Specifiers").
 */
export function quoteExecWord(word: string): string {
  refuseControlCharacters("the argument", word);
  const escaped = word.replaceAll("%", "%%").replaceAll("$", () => "$$");
  if (PLAIN_WORD.test(word)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * The path part of LoadCredential=NAME:PATH. systemd takes everything after the first colon as is (spaces
 * included, no quotes), expanding only `%` specifiers.
 */
function credentialPath(path: string): string {
  refuseControlCharacters("the credential path", path);
  if (path.trim() !== path) throw new SyncerError("usage", `the credential path ${JSON.stringify(path)} starts or ends with a space, which systemd would drop`);
  return path.replaceAll("%", "%%");
}

/** A credential's name: what `${credential:NAME}` and systemd both accept (no '/', no ':'). */
const CREDENTIAL_NAME = /^[A-Za-z0-9_.-]+$/;

/** A system user or group name systemd accepts for User= and Group=. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}$/;

/** `--credential NAME:PATH` → a Credential; the path is made absolute by `absolute`. Usage errors say what is wrong. */
export function parseCredential(text: string, absolute: (path: string) => string): Credential {
  const colon = text.indexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const path = colon < 0 ? "" : text.slice(colon + 1);
  if (!path) throw new SyncerError("usage", `--credential ${text}: write NAME:PATH, e.g. netbox_token:/etc/syncer/credentials/netbox_token`);
  if (!CREDENTIAL_NAME.test(name) || name === "." || name === "..") {
    throw new SyncerError("usage", `--credential ${text}: the name ${JSON.stringify(name)} may use only letters, digits, '_', '.' and '-'`);
  }
  return { name, path: absolute(path) };
}

export function checkUserName(user: string): string {
  if (!USER_NAME.test(user)) throw new SyncerError("usage", `--user ${user}: not a user name systemd accepts (letters, digits, '_', '.', '-'; not starting with a digit or '-')`);
  return user;
}

/**
 * Directories the unit's sandbox hides or replaces, by the setting that does it: a binary or config there would
 * not be found by the service (PrivateTmp=yes gives it an empty /tmp and /var/tmp of its own).
 */
const HIDDEN_DIRECTORIES = [
  { setting: "ProtectHome=yes", hides: "hides from the service", dirs: ["/home", "/root", "/run/user"] },
  { setting: "PrivateTmp=yes", hides: "replaces with an empty directory of the service's own", dirs: ["/tmp", "/var/tmp"] },
];

/** Things that would keep the generated unit from working, for the operator to fix before installing it. */
export function unitWarnings(options: UnitOptions): string[] {
  const warnings: string[] = [];
  for (const path of [...options.command.filter((word) => word.startsWith("/")), options.config]) {
    for (const { setting, hides, dirs } of HIDDEN_DIRECTORIES) {
      const dir = dirs.find((dir) => path === dir || path.startsWith(`${dir}/`));
      if (dir) warnings.push(`${path} is under ${dir}, which ${setting} ${hides}; install it elsewhere (e.g. /usr/local/bin, /etc/syncer)`);
    }
  }
  if (!options.config.startsWith(`${SYSTEM_CONFIG_DIR}/`)) {
    warnings.push(`${options.config} is not under ${SYSTEM_CONFIG_DIR}: set [server] data_dir = "${SYSTEM_STATE_DIR}" in it, the unit's state directory, or the service's database would be beside the config, where it cannot write`);
  }
  return warnings;
}

/** The unit file's text. */
export function renderSystemdUnit(options: UnitOptions): string {
  const execStart = [...options.command, "serve", "--config", options.config].map(quoteExecWord).join(" ");
  const identity = options.user
    ? [`# A dedicated system user (create it first: useradd --system --no-create-home --shell /usr/sbin/nologin ${options.user}).`, `User=${checkUserName(options.user)}`, `Group=${options.user}`]
    : ["# A user allocated at each start: owns nothing outside the state directory. `--user NAME` for a fixed one.", "DynamicUser=yes"];
  const credentials = options.credentials.length
    ? [
        "",
        "# Secrets: systemd copies each file into $CREDENTIALS_DIRECTORY, readable by the service alone; the config",
        "# refers to one as ${credential:NAME}. Keep the files root-only (chmod 0600).",
        ...options.credentials.map((credential) => `LoadCredential=${credential.name}:${credentialPath(credential.path)}`),
      ]
    : [];

  return [
    `# syncer.service, written by \`syncer systemd-unit\` (syncer ${options.version}).`,
    "# Install: syncer systemd-unit > /etc/systemd/system/syncer.service",
    "#          systemctl daemon-reload && systemctl enable --now syncer",
    "[Unit]",
    "Description=Syncer: keeps a host inventory in sync (HTTP API and scheduled jobs)",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=exec",
    `ExecStart=${execStart}`,
    "# SIGHUP: the daemon reads the config again and applies it; a new [server] listen needs a restart.",
    "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=on-failure",
    "RestartSec=5s",
    "# SIGTERM goes to the daemon alone, which stops accepting requests and lets running work finish; what is",
    `# left when it exits, or after ${STOP_TIMEOUT_SECONDS} s (above its own 10 s request and ~30 s job limits), is killed.`,
    "KillMode=mixed",
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}s`,
    "",
    ...identity,
    "# The database lives in /var/lib/syncer ($STATE_DIRECTORY): syncer's data_dir for a config under /etc that sets",
    "# no [server] data_dir, so commands run from a shell open the same one (elsewhere it is read-only: ProtectSystem=strict).",
    "StateDirectory=syncer",
    "StateDirectoryMode=0750",
    "# /etc/syncer holds the config; the service reads it and cannot change it.",
    "ConfigurationDirectory=syncer",
    "UMask=0027",
    ...credentials,
    "",
    "# Logs go to the journal (journalctl -u syncer); text lines carry a <N> priority prefix for it.",
    "SyslogLevelPrefix=yes",
    "",
    "# Sandboxing. Not set on purpose: MemoryDenyWriteExecute=yes. Bun's JavaScript engine and the WebAssembly",
    "# plugins compile code at run time (JIT), which needs memory that is writable and then executable.",
    "NoNewPrivileges=yes",
    "CapabilityBoundingSet=",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "SystemCallArchitectures=native",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
