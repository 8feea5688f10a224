/**
 * The NetBox object types the fake keeps, and for each the writable fields it models. A request that sets a field
 * the contract allows but the fake does not model (a rack, a virtual chassis…) is a gap in the fake, answered 501
 * and recorded, never silently dropped. The answers' shape comes from the contract's response schemas
 * (serialize.ts), so only what is stored is listed here.
 */
export type TypeKey =
  | "sites"
  | "device-roles"
  | "device-types"
  | "manufacturers"
  | "platforms"
  | "cluster-types"
  | "clusters"
  | "tags"
  | "tenants"
  | "ip-addresses"
  | "devices"
  | "virtual-machines";

export type FieldSpec =
  | { kind: "value"; default?: unknown }
  | { kind: "choice"; default?: string }
  | { kind: "ref"; target: TypeKey }
  | { kind: "tags" }
  | { kind: "custom-fields" };

export interface TypeSpec {
  key: TypeKey;
  /** The list endpoint, e.g. `/api/dcim/devices/`. */
  path: string;
  /** The object type as NetBox names it (`dcim.device`): custom fields and tags are scoped by it. */
  objectType: string;
  /** For "No Device matches the given query." */
  verboseName: string;
  /** Response schemas in the contract: the full object and its brief (nested) form. */
  schema: string;
  brief: string;
  fields: Record<string, FieldSpec>;
  /**
   * Field combinations that must be unique, with NetBox's message, reported under `field` (a serializer's unique
   * validator) or `__all__` (a model constraint over several fields); names compare case-insensitively.
   */
  unique: { fields: string[]; message: string; field?: string }[];
  /** Filters the fake implements on the list endpoint besides id, limit, offset. */
  filters: string[];
}

const NAME_SLUG_UNIQUE = (verbose: string) => [
  { fields: ["name"], field: "name", message: `${verbose} with this name already exists.` },
  { fields: ["slug"], field: "slug", message: `${verbose} with this slug already exists.` },
];

const TAGGED = { tags: { kind: "tags" }, custom_fields: { kind: "custom-fields" } } as const;
const NAMED = { name: { kind: "value" }, slug: { kind: "value" }, description: { kind: "value" } } as const;

export const TYPES: Record<TypeKey, TypeSpec> = {
  sites: {
    key: "sites", path: "/api/dcim/sites/", objectType: "dcim.site", verboseName: "Site", schema: "Site", brief: "BriefSite",
    fields: { ...NAMED, ...TAGGED, status: { kind: "choice", default: "active" }, tenant: { kind: "ref", target: "tenants" }, facility: { kind: "value" }, time_zone: { kind: "value" }, physical_address: { kind: "value" }, shipping_address: { kind: "value" }, latitude: { kind: "value" }, longitude: { kind: "value" }, comments: { kind: "value" } },
    unique: NAME_SLUG_UNIQUE("site"), filters: ["name", "slug", "status", "tag", "tenant", "last_updated__gte"],
  },
  "device-roles": {
    key: "device-roles", path: "/api/dcim/device-roles/", objectType: "dcim.devicerole", verboseName: "DeviceRole", schema: "DeviceRole", brief: "BriefDeviceRole",
    fields: { ...NAMED, ...TAGGED, color: { kind: "value", default: "9e9e9e" }, vm_role: { kind: "value", default: true } },
    unique: NAME_SLUG_UNIQUE("device role"), filters: ["name", "slug", "tag"],
  },
  manufacturers: {
    key: "manufacturers", path: "/api/dcim/manufacturers/", objectType: "dcim.manufacturer", verboseName: "Manufacturer", schema: "Manufacturer", brief: "BriefManufacturer",
    fields: { ...NAMED, ...TAGGED },
    unique: NAME_SLUG_UNIQUE("manufacturer"), filters: ["name", "slug", "tag"],
  },
  "device-types": {
    key: "device-types", path: "/api/dcim/device-types/", objectType: "dcim.devicetype", verboseName: "DeviceType", schema: "DeviceType", brief: "BriefDeviceType",
    fields: { ...TAGGED, manufacturer: { kind: "ref", target: "manufacturers" }, model: { kind: "value" }, slug: { kind: "value" }, part_number: { kind: "value" }, u_height: { kind: "value" }, description: { kind: "value" }, comments: { kind: "value" } },
    unique: [
      { fields: ["manufacturer", "model"], message: "Device type with this manufacturer and model already exists." },
      { fields: ["manufacturer", "slug"], message: "Device type with this manufacturer and slug already exists." },
    ],
    filters: ["model", "slug", "manufacturer", "manufacturer_id", "tag"],
  },
  platforms: {
    key: "platforms", path: "/api/dcim/platforms/", objectType: "dcim.platform", verboseName: "Platform", schema: "Platform", brief: "BriefPlatform",
    fields: { ...NAMED, ...TAGGED, manufacturer: { kind: "ref", target: "manufacturers" } },
    unique: NAME_SLUG_UNIQUE("platform"), filters: ["name", "slug", "tag"],
  },
  "cluster-types": {
    key: "cluster-types", path: "/api/virtualization/cluster-types/", objectType: "virtualization.clustertype", verboseName: "ClusterType", schema: "ClusterType", brief: "BriefClusterType",
    fields: { ...NAMED, ...TAGGED },
    unique: NAME_SLUG_UNIQUE("cluster type"), filters: ["name", "slug", "tag"],
  },
  clusters: {
    key: "clusters", path: "/api/virtualization/clusters/", objectType: "virtualization.cluster", verboseName: "Cluster", schema: "Cluster", brief: "BriefCluster",
    fields: { ...TAGGED, name: { kind: "value" }, type: { kind: "ref", target: "cluster-types" }, status: { kind: "choice", default: "active" }, tenant: { kind: "ref", target: "tenants" }, description: { kind: "value" }, comments: { kind: "value" } },
    unique: [{ fields: ["name"], field: "name", message: "Cluster with this name already exists." }],
    filters: ["name", "type", "type_id", "status", "tag", "tenant"],
  },
  tags: {
    key: "tags", path: "/api/extras/tags/", objectType: "extras.tag", verboseName: "Tag", schema: "Tag", brief: "NestedTag",
    fields: { ...NAMED, color: { kind: "value", default: "9e9e9e" }, object_types: { kind: "value", default: [] } },
    unique: NAME_SLUG_UNIQUE("tag"), filters: ["name", "slug"],
  },
  tenants: {
    key: "tenants", path: "/api/tenancy/tenants/", objectType: "tenancy.tenant", verboseName: "Tenant", schema: "Tenant", brief: "BriefTenant",
    fields: { ...NAMED, ...TAGGED, comments: { kind: "value" } },
    unique: NAME_SLUG_UNIQUE("tenant"), filters: ["name", "slug", "tag"],
  },
  "ip-addresses": {
    key: "ip-addresses", path: "/api/ipam/ip-addresses/", objectType: "ipam.ipaddress", verboseName: "IPAddress", schema: "IPAddress", brief: "BriefIPAddress",
    fields: { ...TAGGED, address: { kind: "value" }, status: { kind: "choice", default: "active" }, tenant: { kind: "ref", target: "tenants" }, dns_name: { kind: "value" }, description: { kind: "value" }, comments: { kind: "value" } },
    unique: [], filters: ["address", "status", "tag", "tenant", "last_updated__gte"],
  },
  devices: {
    key: "devices", path: "/api/dcim/devices/", objectType: "dcim.device", verboseName: "Device", schema: "DeviceWithConfigContext", brief: "BriefDevice",
    fields: {
      ...TAGGED, name: { kind: "value" }, device_type: { kind: "ref", target: "device-types" }, role: { kind: "ref", target: "device-roles" }, tenant: { kind: "ref", target: "tenants" },
      platform: { kind: "ref", target: "platforms" }, serial: { kind: "value" }, asset_tag: { kind: "value" }, site: { kind: "ref", target: "sites" }, status: { kind: "choice", default: "active" },
      primary_ip4: { kind: "ref", target: "ip-addresses" }, primary_ip6: { kind: "ref", target: "ip-addresses" }, cluster: { kind: "ref", target: "clusters" },
      description: { kind: "value" }, comments: { kind: "value" }, local_context_data: { kind: "value" },
    },
    unique: [{ fields: ["name", "site", "tenant"], message: "Device name must be unique per site." }],
    filters: ["name", "site", "site_id", "status", "tag", "role", "role_id", "tenant", "tenant_id", "platform", "platform_id", "cluster_id", "device_type_id", "serial", "last_updated__gte", "last_updated__lte"],
  },
  "virtual-machines": {
    key: "virtual-machines", path: "/api/virtualization/virtual-machines/", objectType: "virtualization.virtualmachine", verboseName: "VirtualMachine", schema: "VirtualMachineWithConfigContext", brief: "BriefVirtualMachine",
    fields: {
      ...TAGGED, name: { kind: "value" }, status: { kind: "choice", default: "active" }, site: { kind: "ref", target: "sites" }, cluster: { kind: "ref", target: "clusters" },
      serial: { kind: "value" }, role: { kind: "ref", target: "device-roles" }, tenant: { kind: "ref", target: "tenants" }, platform: { kind: "ref", target: "platforms" },
      primary_ip4: { kind: "ref", target: "ip-addresses" }, primary_ip6: { kind: "ref", target: "ip-addresses" }, vcpus: { kind: "value" }, memory: { kind: "value" }, disk: { kind: "value" },
      description: { kind: "value" }, comments: { kind: "value" }, local_context_data: { kind: "value" },
    },
    unique: [{ fields: ["name", "cluster", "tenant"], message: "Virtual machine name must be unique per cluster." }],
    filters: ["name", "site", "site_id", "status", "tag", "role", "role_id", "tenant", "tenant_id", "platform", "platform_id", "cluster", "cluster_id", "last_updated__gte", "last_updated__lte"],
  },
};

export const TYPE_BY_PATH = new Map(Object.values(TYPES).map((spec) => [spec.path, spec]));

/** Count fields in answers, by the type whose objects they count (other `*_count` fields are 0: not modelled). */
export const COUNTED: Record<string, TypeKey> = {
  device_count: "devices",
  virtualmachine_count: "virtual-machines",
  devicetype_count: "device-types",
  platform_count: "platforms",
  cluster_count: "clusters",
  site_count: "sites",
  ipaddress_count: "ip-addresses",
};
