/**
 * What the contract-checking fakes cost a benchmark that runs against them: a NetBox import's paging of 50k
 * devices and a Checkmk export's bulk-create of 100k hosts then one listing of them, each against a baseline
 * server on loopback that answers the same bytes without state or checks. The ratio is the fakes' own overhead
 * (contract checks of every request and answer, state, serialisation), to read the plugins' benches with.
 */
import { startCheckmkFake } from "../test/fakes/checkmk/fake.ts";
import { DEFAULT_NETBOX_TOKEN, startNetboxFake } from "../test/fakes/netbox/fake.ts";
import { report } from "./lib.ts";

const DEVICES = 50_000;
const HOSTS = 100_000;
const CHUNK = 300;

/** A server answering each path from a table, after reading the request body as a real one would. */
function baselineServer(answers: (path: string, origin: string) => string) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      await request.text();
      const url = new URL(request.url);
      return new Response(answers(url.pathname + url.search, url.origin), { headers: { "content-type": "application/json" } });
    },
  });
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function netbox(): Promise<void> {
  const netbox = startNetboxFake();
  const { store } = netbox;
  const site = store.create("sites", { name: "Berlin", slug: "berlin" }).id;
  const role = store.create("device-roles", { name: "Server", slug: "server" }).id;
  const manufacturer = store.create("manufacturers", { name: "Dell", slug: "dell" }).id;
  const type = store.create("device-types", { manufacturer, model: "R640", slug: "r640" }).id;
  const tag = store.create("tags", { name: "syncer", slug: "syncer" }).id;
  for (let at = 0; at < DEVICES; at += 1000) {
    store.write("devices", Array.from({ length: 1000 }, (_, i) => ({ data: { name: `dev${String(at + i).padStart(6, "0")}`, device_type: type, role, site, tags: [tag], serial: `S${at + i}` } })), false);
  }
  const headers = { Authorization: `Token ${DEFAULT_NETBOX_TOKEN}`, Accept: "application/json" };
  const pages: Record<string, string> = {};
  const readAll = async (origin: string, keep: boolean) => {
    let next: string | null = `${origin}/api/dcim/devices/?limit=1000`;
    while (next) {
      const response: Response = await fetch(next, { headers });
      const text = await response.text();
      const page = JSON.parse(text) as { next: string | null };
      if (keep) pages[new URL(next).pathname + new URL(next).search] = text.replaceAll(origin, "ORIGIN");
      next = page.next;
    }
  };
  await readAll(netbox.address, true);
  netbox.server.resetCounts();
  const fake = await timed(async () => {
    await readAll(netbox.address, false);
    await netbox.server.settled();
  });
  const baseline = baselineServer((path, origin) => pages[path]!.replaceAll("ORIGIN", origin));
  const plain = await timed(() => readAll(`http://127.0.0.1:${baseline.port}`, false));
  baseline.stop(true);
  report(`netbox: page ${DEVICES} devices, limit 1000`, fake, plain, "ms");
  console.log(netbox.server.countsReport());
  await netbox.close();
}

async function checkmk(): Promise<void> {
  const checkmk = startCheckmkFake();
  const headers = { Authorization: "Bearer automation automation-secret", Accept: "application/json", "Content-Type": "application/json" };
  const chunks = Array.from({ length: Math.ceil(HOSTS / CHUNK) }, (_, chunk) =>
    JSON.stringify({ entries: Array.from({ length: Math.min(CHUNK, HOSTS - chunk * CHUNK) }, (_, i) => ({ host_name: `host${chunk * CHUNK + i}.example.com`, folder: "/", attributes: { ipaddress: "192.0.2.1", labels: { cmdb_syncer: "bench", os: "linux" } } })) }),
  );
  const answers: string[] = [];
  let listing = "";
  const run = async (base: string, keep: boolean) => {
    for (const body of chunks) {
      const response = await fetch(`${base}/domain-types/host_config/actions/bulk-create/invoke`, { method: "POST", headers, body });
      const text = await response.text();
      if (keep) answers.push(text);
    }
    const response = await fetch(`${base}/domain-types/host_config/collections/all`, { headers });
    const text = await response.text();
    if (keep) listing = text;
  };
  const fake = await timed(async () => {
    await run(checkmk.apiUrl, true);
    await checkmk.server.settled();
  });
  let answered = 0;
  const baseline = baselineServer((path) => (path.includes("bulk-create") ? answers[answered++ % answers.length]! : listing));
  const plain = await timed(() => run(`http://127.0.0.1:${baseline.port}/mysite/check_mk/api/1.0`, false));
  baseline.stop(true);
  report(`checkmk: bulk-create ${HOSTS} hosts (${CHUNK}/request), list all`, fake, plain, "ms");
  console.log(checkmk.server.countsReport());
  await checkmk.close();
}

await netbox();
await checkmk();
