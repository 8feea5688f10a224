/**
 * The netbox plugin's device import through the compiled binary against the contract-checking NetBox fake
 * on loopback (every request and answer checked against NetBox's OpenAPI contract, which costs the fake
 * several times a plain server: see bench/fakes.ts).
 *
 *   node_modules/.bin/bun bench/netbox.ts [--devices 50000]      (after npm run build)
 *
 * Goal (issue 17): an import of 50k devices ≤ 5 s (CMDBSyncer users reported about 4 hosts/s after a
 * regression). The requests are printed per method and path, with the CPU time the fake spent on them (it runs
 * in this process), and the goal as PASS or MISS with the load average.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_NETBOX_TOKEN, startNetboxFake } from "../test/fakes/netbox/fake.ts";
import { cleanEnv } from "../test/helpers/binary.ts";

const at = process.argv.indexOf("--devices");
const DEVICES = at < 0 ? 50_000 : Number(process.argv[at + 1]);
const BINARY = join(import.meta.dir, "..", "dist", "syncer");

const dir = mkdtempSync(join(tmpdir(), "syncer-bench-netbox-"));
const fake = startNetboxFake();
const { store } = fake;
const sites = Array.from({ length: 20 }, (_, i) => store.create("sites", { name: `Site ${i}`, slug: `site-${i}` }).id);
const role = store.create("device-roles", { name: "Server", slug: "server" }).id;
const type = store.create("device-types", { manufacturer: store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" }).id;
const tag = store.create("tags", { name: "Production", slug: "prod" }).id;
for (let i = 0; i < DEVICES; i++) store.create("devices", { name: `dev${String(i).padStart(6, "0")}`, device_type: type, role, site: sites[i % sites.length], serial: `SN${i}`, tags: i % 2 ? [tag] : [] });
const config = join(dir, "sync.config.toml");
await Bun.write(config, `[server]\ndata_dir = "data"\n[accounts.nb]\nplugin = "netbox"\naddress = "${fake.address}"\npassword = "\${env:NETBOX_TOKEN}"\n`);

async function syncer(...args: string[]) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const child = Bun.spawn([BINARY, ...args, "--config", config, "--json"], { env: cleanEnv({ NETBOX_TOKEN: DEFAULT_NETBOX_TOKEN }), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`syncer ${args.join(" ")} failed (${code}): ${stdout}\n${stderr}`);
  const ms = performance.now() - started;
  await fake.server.settled();
  const spent = process.cpuUsage(cpu);
  return { ms, fakeMs: Math.round((spent.user + spent.system) / 1000), json: JSON.parse(stdout) };
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
try {
  console.log(`load average (1, 5, 15 min): ${load()} on ${navigator.hardwareConcurrency} cores; ${DEVICES} devices`);
  await syncer("migrate");
  // The fake compiles its contract checks on first use: done before the timing.
  for (const route of fake.server.checker.operations()) if (route.template === "/api/dcim/devices/") fake.server.checker.prepare(route);
  const first = await syncer("netbox", "import_devices", "nb");
  console.log(`first import                 ${Math.round(first.ms).toString().padStart(7)} ms   (created ${first.json.created}; ${Math.round(DEVICES / (first.ms / 1000))} devices/s; ${fake.server.requestCount()} requests; fake CPU ${first.fakeMs} ms; load ${load()})`);
  console.log(fake.server.countsReport());
  fake.server.resetCounts();
  const again = await syncer("netbox", "import_devices", "nb");
  console.log(`unchanged re-import          ${Math.round(again.ms).toString().padStart(7)} ms   (unchanged ${again.json.unchanged}; ${fake.server.requestCount()} requests; fake CPU ${again.fakeMs} ms; load ${load()})`);
  console.log(fake.server.countsReport());
  console.log(`goal: import of ${DEVICES} devices ≤ 5000 ms: ${first.ms <= 5000 ? "PASS" : "MISS"} ${Math.round(first.ms)} ms (load ${load()})`);
} finally {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
