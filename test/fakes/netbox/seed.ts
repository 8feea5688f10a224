import type { NetboxStore } from "./store.ts";

/** What the NetBox tests' devices refer to: sites Berlin and Paris, a role, a device type, a platform, a tag, a tenant; their ids. */
export function seedNetbox(store: NetboxStore) {
  return {
    berlin: store.create("sites", { name: "Berlin", slug: "berlin" }).id,
    paris: store.create("sites", { name: "Paris", slug: "paris" }).id,
    role: store.create("device-roles", { name: "Server", slug: "server" }).id,
    type: store.create("device-types", { manufacturer: store.create("manufacturers", { name: "Dell", slug: "dell" }).id, model: "R640", slug: "r640" }).id,
    platform: store.create("platforms", { name: "Debian 12", slug: "debian-12" }).id,
    tag: store.create("tags", { name: "Production", slug: "prod" }).id,
    tenant: store.create("tenants", { name: "Ops", slug: "ops" }).id,
  };
}
