/**
 * The netbox plugin's device import and export through the compiled binary against contract-checking NetBox
 * fakes on loopback (every request and answer checked against NetBox's OpenAPI contract, which costs the fake
 * several times a plain server: see bench/fakes.ts). The devices imported from one fake are exported to a
 * second one, which has the same sites, role and device type but no devices.
 *
 *   node_modules/.bin/bun bench/netbox.ts [--devices 50000] [--import-only] [--compare <old syncer binary> [--rounds 3]]   (after npm run build)
 *
 * Goals (issue 17): an import of 50k devices ≤ 5 s (CMDBSyncer users reported about 4 hosts/s after a
 * regression); an export of 50k hosts ≤ 15 s the first time; a second export with nothing changed makes zero
 * writes. The requests are printed per method and path, with the CPU time the fakes spent on them (they run
 * in this process) and the CPU time of syncer with its sandboxes, and each goal as PASS or MISS with the load
 * average. With --compare, first imports by this build and by the old binary alternate, each into a fresh
 * database from the same (warm) fake, before the usual runs: the ratio is measured under the same load.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_NETBOX_TOKEN, startNetboxFake } from "../test/fakes/netbox/fake.ts";
import { cleanEnv } from "../test/helpers/binary.ts";
import { median } from "./lib.ts";

const at = process.argv.indexOf("--devices");
const DEVICES = at < 0 ? 50_000 : Number(process.argv[at + 1]);
const BINARY = join(import.meta.dir, "..", "dist", "syncer");
const compareAt = process.argv.indexOf("--compare");
const OLD = compareAt < 0 ? null : process.argv[compareAt + 1]!;
const roundsAt = process.argv.indexOf("--rounds");
const ROUNDS = roundsAt < 0 ? 3 : Number(process.argv[roundsAt + 1]);
const IMPORT_ONLY = process.argv.includes("--import-only");

const dir = mkdtempSync(join(tmpdir(), "syncer-bench-netbox-"));
const fake = startNetboxFake();
const target = startNetboxFake();
const { store } = fake;
const sites = Array.from({ length: 20 }, (_, i) => store.create("sites", { name: `Site ${i}`, slug: `site-${i}` }).id);
const role = store.create("device-roles", { name: "Server", slug: "server" }).id;
const type = store.create("device-types", { manufacturer: store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" }).id;
const tag = store.create("tags", { name: "Production", slug: "prod" }).id;
for (let i = 0; i < DEVICES; i++) store.create("devices", { name: `dev${String(i).padStart(6, "0")}`, device_type: type, role, site: sites[i % sites.length], serial: `SN${i}`, tags: i % 2 ? [tag] : [] });
for (let i = 0; i < sites.length; i++) target.store.create("sites", { name: `Site ${i}`, slug: `site-${i}` });
target.store.create("device-roles", { name: "Server", slug: "server" });
target.store.create("device-types", { manufacturer: target.store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" });
target.store.create("tags", { name: "Production", slug: "prod" });
const config = join(dir, "sync.config.toml");
await Bun.write(
  config,
  `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\n` +
    `[accounts.out]\nplugin = "netbox"\naddress = "${target.address}"\npassword = "\${env:NETBOX_TOKEN}"\n` +
    `[[rules]]\nname = "devices"\ntarget = "out"\nmatch = "anyway"\nset = { site = "{{ labels.site }}", role = "{{ labels.role }}", device_type = "{{ inventory['nb__device_type.slug'] }}", tags = "{{ labels.tags }}" }\n`,
);

async function run(binary: string, configFile: string, args: string[]) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const child = Bun.spawn([binary, ...args, "--config", configFile, "--json"], { env: cleanEnv({ NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN }), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`syncer ${args.join(" ")} failed (${code}): ${stdout}\n${stderr}`);
  const ms = performance.now() - started;
  await Promise.all([fake.server.settled(), target.server.settled()]);
  const spent = process.cpuUsage(cpu);
  const usage = child.resourceUsage();
  const syncerMs = usage ? Math.round(Number(usage.cpuTime.user + usage.cpuTime.system) / 1000) : 0;
  return { ms, fakeMs: Math.round((spent.user + spent.system) / 1000), syncerMs, json: JSON.parse(stdout) };
}
const syncer = (...args: string[]) => run(BINARY, config, args);
const cpuOf = (result: { fakeMs: number; syncerMs: number }) => `CPU: syncer and its sandboxes ${result.syncerMs} ms, fake ${result.fakeMs} ms`;

/** --compare: first imports into fresh databases, this build and the old binary in turn; medians and the ratio. */
async function compare(old: string) {
  const times: Record<"new" | "old", { ms: number; syncerMs: number; fakeMs: number }[]> = { new: [], old: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, binary] of [["new", BINARY], ["old", old]] as const) {
      const data = mkdtempSync(join(dir, "compare-"));
      const file = join(data, "sync.config.toml");
      await Bun.write(file, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\n`);
      await run(binary, file, ["migrate"]);
      const result = await run(binary, file, ["netbox", "import_devices", "nb"]);
      if (result.json.created !== DEVICES) throw new Error(`${name}: created ${result.json.created}, not ${DEVICES}`);
      times[name].push(result);
      console.log(`  round ${round + 1} ${name}: ${Math.round(result.ms)} ms (${cpuOf(result)}; load ${load()})`);
      rmSync(data, { recursive: true, force: true });
    }
  }
  const mid = (name: "new" | "old", key: "ms" | "syncerMs" | "fakeMs") => median(times[name].map((time) => time[key]));
  for (const key of ["ms", "syncerMs", "fakeMs"] as const) console.log(`first import, median of ${ROUNDS} (${key === "ms" ? "wall" : key === "syncerMs" ? "syncer CPU" : "fake CPU"}): ${Math.round(mid("new", key))} ms, old ${Math.round(mid("old", key))} ms, ratio ${(mid("new", key) / mid("old", key)).toFixed(2)}x`);
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
try {
  console.log(`load average (1, 5, 15 min): ${load()} on ${navigator.hardwareConcurrency} cores; ${DEVICES} devices`);
  await syncer("migrate");
  // The fakes compile their contract checks on first use: done before the timing.
  for (const server of [fake.server, target.server]) for (const route of server.checker.operations()) if (route.template === "/api/dcim/devices/") server.checker.prepare(route);
  const first = await syncer("netbox", "import_devices", "nb");
  const firstCpu = cpuOf(first);
  console.log(`first import                 ${Math.round(first.ms).toString().padStart(7)} ms  goal ≤ 5000 ms: ${first.ms <= 5000 ? "PASS" : "MISS"}   (created ${first.json.created}; ${Math.round(DEVICES / (first.ms / 1000))} devices/s; ${fake.server.requestCount()} requests; ${firstCpu}; load ${load()})`);
  console.log(fake.server.countsReport());
  fake.server.resetCounts();
  const again = await syncer("netbox", "import_devices", "nb");
  console.log(`unchanged re-import          ${Math.round(again.ms).toString().padStart(7)} ms   (unchanged ${again.json.unchanged}; ${fake.server.requestCount()} requests; ${cpuOf(again)}; load ${load()})`);
  console.log(fake.server.countsReport());
  if (!IMPORT_ONLY) {
    const exported = await syncer("netbox", "export_devices", "out");
    console.log(`first export                 ${Math.round(exported.ms).toString().padStart(7)} ms  goal ≤ 15000 ms: ${exported.ms <= 15000 ? "PASS" : "MISS"}   (created ${exported.json.created}, failed ${exported.json.failed}; ${Math.round(DEVICES / (exported.ms / 1000))} hosts/s; ${target.server.requestCount()} requests; ${cpuOf(exported)}; load ${load()})`);
    console.log(target.server.countsReport());
    target.server.resetCounts();
    const unchanged = await syncer("netbox", "export_devices", "out");
    const writes = target.server.writeCount();
    console.log(`unchanged re-export          ${Math.round(unchanged.ms).toString().padStart(7)} ms  zero writes: ${writes === 0 ? "PASS" : `MISS (${writes})`}   (unchanged ${unchanged.json.unchanged}; ${target.server.requestCount()} requests; ${cpuOf(unchanged)}; load ${load()})`);
    console.log(target.server.countsReport());
  }
  if (OLD !== null) await compare(OLD);
} finally {
  await fake.close();
  await target.close();
  rmSync(dir, { recursive: true, force: true });
}
