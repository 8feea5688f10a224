import { describe, expect, test } from "bun:test";
import { SyncerError } from "../../src/core/errors.ts";
import { parseCredential, quoteExecWord, renderSystemdUnit, unitWarnings, type UnitOptions } from "../../src/ops/systemd-unit.ts";

const BASE: UnitOptions = { command: ["/usr/local/bin/syncer"], config: "/etc/syncer/sync.config.toml", credentials: [], version: "1.2.3" };

/** The unit's settings (comments and blank lines dropped), in order. */
const settings = (unit: string) => unit.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
const values = (unit: string, key: string) => settings(unit).filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SyncerError);
    expect((error as SyncerError).kind).toBe("usage");
    return (error as SyncerError).message;
  }
  throw new Error("expected a usage error");
}

describe("the systemd unit generator", () => {
  test("runs `serve --config` with the given binary and config, reloads with SIGHUP and restarts on failure", () => {
    const unit = renderSystemdUnit(BASE);
    expect(values(unit, "ExecStart")).toEqual(["/usr/local/bin/syncer serve --config /etc/syncer/sync.config.toml"]);
    expect(values(unit, "ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
    expect(values(unit, "Type")).toEqual(["exec"]);
    expect(values(unit, "Restart")).toEqual(["on-failure"]);
    expect(values(unit, "KillMode")).toEqual(["mixed"]);
    expect(values(unit, "TimeoutStopSec")).toEqual(["45s"]);
    expect(values(unit, "WantedBy")).toEqual(["multi-user.target"]);
  });

  test("has the state and config directories and every hardening setting, each once", () => {
    const unit = renderSystemdUnit(BASE);
    const expected: Record<string, string> = {
      StateDirectory: "syncer",
      StateDirectoryMode: "0750",
      ConfigurationDirectory: "syncer",
      UMask: "0027",
      SyslogLevelPrefix: "yes",
      NoNewPrivileges: "yes",
      CapabilityBoundingSet: "",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6",
      RestrictNamespaces: "yes",
      RestrictRealtime: "yes",
      RestrictSUIDSGID: "yes",
      LockPersonality: "yes",
      SystemCallArchitectures: "native",
    };
    for (const [key, value] of Object.entries(expected)) expect({ key, values: values(unit, key) }).toEqual({ key, values: [value] });
  });

  test("never sets MemoryDenyWriteExecute (it breaks the JIT) and says why in a comment", () => {
    const unit = renderSystemdUnit(BASE);
    expect(settings(unit).some((line) => line.startsWith("MemoryDenyWriteExecute"))).toBe(false);
    expect(unit).toMatch(/^#.*MemoryDenyWriteExecute=yes.*\n#.*JIT/m);
  });

  test("says in a comment that $STATE_DIRECTORY is the data directory", () => {
    expect(renderSystemdUnit(BASE)).toMatch(/^#.*\$STATE_DIRECTORY.*data_dir/m);
  });

  test("without --user it uses a dynamic user; with --user it sets User= and Group= and no DynamicUser", () => {
    const dynamic = renderSystemdUnit(BASE);
    expect(values(dynamic, "DynamicUser")).toEqual(["yes"]);
    expect(values(dynamic, "User")).toEqual([]);
    const fixed = renderSystemdUnit({ ...BASE, user: "syncer" });
    expect(values(fixed, "User")).toEqual(["syncer"]);
    expect(values(fixed, "Group")).toEqual(["syncer"]);
    expect(values(fixed, "DynamicUser")).toEqual([]);
  });

  test("each credential becomes one LoadCredential=NAME:PATH line, in the order given", () => {
    const unit = renderSystemdUnit({
      ...BASE,
      credentials: [
        { name: "netbox_token", path: "/etc/syncer/credentials/netbox_token" },
        { name: "checkmk.secret", path: "/etc/syncer/credentials/checkmk" },
      ],
    });
    expect(values(unit, "LoadCredential")).toEqual(["netbox_token:/etc/syncer/credentials/netbox_token", "checkmk.secret:/etc/syncer/credentials/checkmk"]);
    expect(values(renderSystemdUnit(BASE), "LoadCredential")).toEqual([]);
  });

  test("command-line words with spaces, quotes or backslashes are double-quoted with C escapes; % and $ are doubled everywhere", () => {
    expect(quoteExecWord("/usr/local/bin/syncer")).toBe("/usr/local/bin/syncer");
    expect(quoteExecWord("/opt/my syncer/syncer")).toBe('"/opt/my syncer/syncer"');
    expect(quoteExecWord('/etc/a "b"\\c.toml')).toBe('"/etc/a \\"b\\"\\\\c.toml"');
    expect(quoteExecWord("/etc/100%/$HOME.toml")).toBe('"/etc/100%%/$$HOME.toml"');
    expect(quoteExecWord("/etc/a b/$x%y")).toBe('"/etc/a b/$$x%%y"');
    const unit = renderSystemdUnit({ ...BASE, command: ["/opt/my syncer/syncer"], config: "/etc/my syncer/sync.config.toml" });
    expect(values(unit, "ExecStart")).toEqual(['"/opt/my syncer/syncer" serve --config "/etc/my syncer/sync.config.toml"']);
  });

  test("a credential path keeps its spaces unquoted (systemd takes the rest of the line) and doubles %", () => {
    const unit = renderSystemdUnit({ ...BASE, credentials: [{ name: "token", path: "/etc/my secrets/100%" }] });
    expect(values(unit, "LoadCredential")).toEqual(["token:/etc/my secrets/100%%"]);
  });

  test("a path with a newline or other control character is refused, not written into the unit", () => {
    expect(usageError(() => renderSystemdUnit({ ...BASE, config: "/etc/a\nExecStartPre=/bin/sh" }))).toContain("control character");
    expect(usageError(() => renderSystemdUnit({ ...BASE, credentials: [{ name: "t", path: "/etc/t\n" }] }))).toContain("control character");
  });

  test("--credential takes NAME:PATH, makes the path absolute and refuses names systemd or ${credential:} would not", () => {
    const absolute = (path: string) => (path.startsWith("/") ? path : `/work/${path}`);
    expect(parseCredential("netbox_token:/etc/syncer/netbox", absolute)).toEqual({ name: "netbox_token", path: "/etc/syncer/netbox" });
    expect(parseCredential("token:secrets/token", absolute)).toEqual({ name: "token", path: "/work/secrets/token" });
    expect(usageError(() => parseCredential("token", absolute))).toContain("NAME:PATH");
    expect(usageError(() => parseCredential("a/b:/x", absolute))).toContain('"a/b"');
    expect(usageError(() => parseCredential("..:/x", absolute))).toContain('".."');
    expect(usageError(() => parseCredential(":/x", absolute))).toContain("name");
  });

  test("a user name systemd would not accept is refused", () => {
    expect(usageError(() => renderSystemdUnit({ ...BASE, user: "-root" }))).toContain("--user -root");
    expect(usageError(() => renderSystemdUnit({ ...BASE, user: "syn cer" }))).toContain("--user syn cer");
  });

  test("warns when the binary or config is under a directory ProtectHome=yes hides", () => {
    expect(unitWarnings(BASE)).toEqual([]);
    const warnings = unitWarnings({ ...BASE, command: ["/home/ops/bin/syncer"], config: "/root/sync.config.toml" });
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain("/home/ops/bin/syncer");
    expect(warnings[1]).toContain("/root/sync.config.toml");
    expect(unitWarnings({ ...BASE, command: ["/homestead/syncer"] })).toEqual([]);
  });

  test("warns when the config is not under /etc: its default database would not be the unit's state directory", () => {
    const warnings = unitWarnings({ ...BASE, config: "/opt/syncer/sync.config.toml" });
    expect(warnings).toEqual([expect.stringContaining('/opt/syncer/sync.config.toml is not under /etc: set [server] data_dir = "/var/lib/syncer"')]);
  });

  test("warns when the binary or config is under /tmp or /var/tmp, which PrivateTmp=yes replaces", () => {
    expect(renderSystemdUnit(BASE)).toContain("\nPrivateTmp=yes\n");
    const warnings = unitWarnings({ ...BASE, command: ["/tmp/syncer-1.0/syncer"], config: "/var/tmp/sync.config.toml" });
    // (The config outside /etc draws its own warning as well, tested above.)
    expect(warnings).toEqual(expect.arrayContaining([
      "/tmp/syncer-1.0/syncer is under /tmp, which PrivateTmp=yes replaces with an empty directory of the service's own; install it elsewhere (e.g. /usr/local/bin, /etc/syncer)",
      "/var/tmp/sync.config.toml is under /var/tmp, which PrivateTmp=yes replaces with an empty directory of the service's own; install it elsewhere (e.g. /usr/local/bin, /etc/syncer)",
    ]));
    expect(warnings.filter((warning) => warning.includes("PrivateTmp"))).toHaveLength(2);
    expect(unitWarnings({ ...BASE, command: ["/tmpfs/syncer", "/opt/tmp/syncer"], config: "/etc/syncer/tmp.toml" })).toEqual([]);
  });
});
