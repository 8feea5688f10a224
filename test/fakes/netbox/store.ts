/**
 * The state of a fake NetBox, without HTTP: objects by type and id, and writes as NetBox validates them (related
 * objects by id or by attributes, tags, custom fields, uniqueness, a VM's site or cluster, primary IPs that must
 * be assigned to the object). A write is prepared first and committed only when every object of the request is
 * valid: NetBox's bulk operations are all or none. Tests and benches seed it directly with `create()`.
 */
import { FakeGap } from "../server.ts";
import { type TypeKey, type TypeSpec, TYPES } from "./types.ts";

export interface NetboxRecord {
  id: number;
  created: string;
  last_updated: string;
  tags: number[];
  custom_fields: Record<string, unknown>;
  /** Seeding only: the device or VM whose interface holds this IP (the fake models no interfaces). */
  assigned_to?: { type: "devices" | "virtual-machines"; id: number };
  [field: string]: unknown;
}

export interface CustomField {
  name: string;
  type: "text" | "integer" | "boolean" | "json";
  /** e.g. `["dcim.device", "virtualization.virtualmachine"]` */
  objectTypes: string[];
}

/** Field errors as NetBox answers them: field → messages (`__all__` for the object as a whole). */
export type FieldErrors = Record<string, string[]>;

/** A write refused: one error object per item of the request, `{}` for the items that were fine. */
export class ValidationFailed extends Error {
  constructor(readonly items: FieldErrors[]) {
    super(JSON.stringify(items));
  }
}

export class NetboxStore {
  readonly objects = Object.fromEntries(Object.keys(TYPES).map((key) => [key, new Map<number, NetboxRecord>()])) as Record<TypeKey, Map<number, NetboxRecord>>;
  private readonly nextId = Object.fromEntries(Object.keys(TYPES).map((key) => [key, 1])) as Record<TypeKey, number>;
  /** Timestamps advance one second per write, so `last_updated__gte` separates writes by construction. */
  clock = Date.parse("2025-01-20T12:00:00Z");
  /** Bumped by every write and delete: lets readers cache what they derive (the sorted lists). */
  revision = 0;
  /** Bumped by every write and delete of a type: lets answers that show objects of that type be kept until one changes (AnswerCache). */
  readonly typeRevisions = Object.fromEntries(Object.keys(TYPES).map((key) => [key, 0])) as Record<TypeKey, number>;
  /** Told of every object written, as stored (see onWritten). */
  private readonly writeListeners: ((type: TypeKey, records: NetboxRecord[]) => void)[] = [];
  /** Per type and uniqueness rule: the rule's key → the id holding it. */
  private readonly uniqueIndexes = new Map<string, Map<string, number>>();

  constructor(readonly customFields: CustomField[] = []) {}

  now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString().replace("Z", "000Z");
  }

  get(type: TypeKey, id: number): NetboxRecord | undefined {
    return this.objects[type].get(id);
  }

  all(type: TypeKey): NetboxRecord[] {
    return [...this.objects[type].values()];
  }

  customFieldsOf(type: TypeKey): CustomField[] {
    return this.customFields.filter((field) => field.objectTypes.includes(TYPES[type].objectType));
  }

  /** Calls `listener` with the objects of each write, as stored, once it is done. */
  onWritten(listener: (type: TypeKey, records: NetboxRecord[]) => void): void {
    this.writeListeners.push(listener);
  }

  /** Seeds one object as the API would create it (ids or attribute dictionaries for related objects). */
  create(type: TypeKey, data: Record<string, unknown>, extra: Partial<NetboxRecord> = {}): NetboxRecord {
    const [written] = this.write(type, [{ data }], false);
    if (Object.keys(extra).length === 0) return written!;
    // Stored as a new object, as every write stores one: what was derived from the written one is not it.
    const record: NetboxRecord = Object.assign({ ...written! }, extra);
    this.objects[type].set(record.id, record);
    for (const listener of this.writeListeners) listener(type, [record]);
    return record;
  }

  /**
   * Creates (no `existing`) or updates objects, all or none. Throws ValidationFailed when any item is invalid,
   * FakeGap for a field the fake does not model.
   */
  write(type: TypeKey, items: { data: Record<string, unknown>; existing?: NetboxRecord }[], partial: boolean): NetboxRecord[] {
    const spec = TYPES[type];
    const time = this.now();
    const prepared = items.map(({ data, existing }) => this.prepare(spec, data, existing, partial, time));
    const errors = prepared.map((item) => ("errors" in item ? item.errors : {}));
    spec.unique.forEach((rule, ruleIndex) => {
      const index = this.uniqueIndex(type, ruleIndex);
      const inRequest = new Map<string, number>();
      prepared.forEach((item, at) => {
        if (!("record" in item)) return;
        const key = uniqueKey(rule.fields, item.record);
        if (key === undefined) return;
        const stored = index.get(key);
        const earlier = inRequest.get(key);
        const clashes = (stored !== undefined && stored !== item.record.id) || earlier !== undefined;
        if (earlier !== undefined) (errors[earlier]![rule.field ?? "__all__"] ??= []).push(rule.message);
        if (clashes) (errors[at]![rule.field ?? "__all__"] ??= []).push(rule.message);
        inRequest.set(key, at);
      });
    });
    for (const itemErrors of errors) for (const [field, messages] of Object.entries(itemErrors)) itemErrors[field] = [...new Set(messages)];
    if (errors.some((itemErrors) => Object.keys(itemErrors).length > 0)) throw new ValidationFailed(errors);
    this.revision++;
    this.typeRevisions[type]++;
    const stored = prepared.map((item) => {
      const record = (item as { record: NetboxRecord }).record;
      const previous = this.objects[type].get(record.id);
      spec.unique.forEach((rule, ruleIndex) => {
        const index = this.uniqueIndex(type, ruleIndex);
        const old = previous && uniqueKey(rule.fields, previous);
        if (old !== undefined && index.get(old) === record.id) index.delete(old);
        const key = uniqueKey(rule.fields, record);
        if (key !== undefined) index.set(key, record.id);
      });
      this.objects[type].set(record.id, record);
      return record;
    });
    for (const listener of this.writeListeners) listener(type, stored);
    return stored;
  }

  /** Deletes objects; a referenced object is protected (NetBox answers 409), tags are taken off what they tag. */
  delete(type: TypeKey, ids: number[]): { protectedBy?: string } {
    const doomed = new Set(ids);
    for (const [otherType, spec] of Object.entries(TYPES) as [TypeKey, TypeSpec][]) {
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        if (fieldSpec.kind !== "ref" || fieldSpec.target !== type || field.startsWith("primary_ip")) continue;
        const dependants = this.all(otherType).filter((record) => doomed.has(record[field] as number) && !(otherType === type && doomed.has(record.id)));
        if (dependants.length > 0) return { protectedBy: `Unable to delete object. ${dependants.length} dependent objects were found: ${dependants.slice(0, 3).map((record) => `${TYPES[otherType].verboseName} ${record.id}`).join(", ")}` };
      }
    }
    this.revision++;
    this.typeRevisions[type]++;
    for (const id of doomed) {
      const record = this.objects[type].get(id);
      if (record) TYPES[type].unique.forEach((rule, ruleIndex) => {
        const key = uniqueKey(rule.fields, record);
        if (key !== undefined && this.uniqueIndex(type, ruleIndex).get(key) === id) this.uniqueIndex(type, ruleIndex).delete(key);
      });
      this.objects[type].delete(id);
    }
    for (const records of Object.values(this.objects)) {
      for (const record of records.values()) {
        if (type === "tags" && record.tags.some((tag) => doomed.has(tag))) record.tags = record.tags.filter((tag) => !doomed.has(tag));
        if (type === "ip-addresses") for (const field of ["primary_ip4", "primary_ip6"]) if (doomed.has(record[field] as number)) record[field] = null;
      }
    }
    return {};
  }

  private prepare(spec: TypeSpec, data: Record<string, unknown>, existing: NetboxRecord | undefined, partial: boolean, time: string): { record: NetboxRecord } | { errors: FieldErrors } {
    const errors: FieldErrors = {};
    const record: NetboxRecord = existing ? { ...existing, last_updated: time } : { id: this.nextId[spec.key]++, created: time, last_updated: time, tags: [], custom_fields: {} };
    if (!existing) {
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        if (fieldSpec.kind === "choice") record[field] = fieldSpec.default ?? null;
        else if (fieldSpec.kind === "ref") record[field] = null;
        else if (fieldSpec.kind === "value") record[field] = fieldSpec.default ?? null;
      }
      for (const field of this.customFieldsOf(spec.key)) record.custom_fields[field.name] = null;
    } else if (!partial) {
      // PUT replaces: what is not sent goes back to its default.
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        if (fieldSpec.kind === "ref") record[field] = null;
        else if (fieldSpec.kind === "value") record[field] = fieldSpec.default ?? null;
      }
      record.tags = [];
    }
    for (const [field, value] of Object.entries(data)) {
      const fieldSpec = spec.fields[field];
      if (!fieldSpec) {
        if (field === "id" || isEmpty(value)) continue;
        throw new FakeGap(`the field ${field} of ${spec.verboseName} (not modelled)`);
      }
      const message = this.assign(spec, record, field, fieldSpec, value);
      if (message) errors[field] = message;
    }
    Object.assign(errors, this.objectErrors(spec, record));
    return Object.keys(errors).length > 0 ? { errors } : { record };
  }

  /** Sets one field from request data; returns NetBox's messages when the value cannot be used. */
  private assign(spec: TypeSpec, record: NetboxRecord, field: string, fieldSpec: TypeSpec["fields"][string], value: unknown): string[] | undefined {
    switch (fieldSpec.kind) {
      case "value":
        if (spec.key === "ip-addresses" && field === "address" && !isCidr(value)) return ["Enter a valid IPv4 or IPv6 address with a mask."];
        record[field] = value;
        return undefined;
      case "choice":
        record[field] = value;
        return undefined;
      case "ref": {
        if (value === null) {
          record[field] = null;
          return undefined;
        }
        const found = this.resolve(fieldSpec.target, value);
        if (typeof found === "string") return [found];
        if (field.startsWith("primary_ip")) {
          const ip = this.get("ip-addresses", found)!;
          const assigned = ip.assigned_to?.type === spec.key && ip.assigned_to.id === record.id && this.objects[spec.key].has(record.id);
          const family = String(ip.address).includes(":") ? 6 : 4;
          if (field === `primary_ip${family === 4 ? 6 : 4}`) return [`${ip.address} is not an IPv${family === 4 ? 6 : 4} address.`];
          if (!assigned) return [`The specified IP address (${ip.address}) is not assigned to this ${spec.key === "devices" ? "device" : "VM"}.`];
        }
        record[field] = found;
        return undefined;
      }
      case "tags": {
        const ids: number[] = [];
        for (const tag of value as unknown[]) {
          const found = this.resolve("tags", tag);
          if (typeof found === "string") return [found];
          ids.push(found);
        }
        record.tags = [...new Set(ids)];
        return undefined;
      }
      case "custom-fields": {
        const defined = new Map(this.customFieldsOf(spec.key).map((custom) => [custom.name, custom]));
        const merged = { ...record.custom_fields };
        for (const [name, given] of Object.entries(value as Record<string, unknown>)) {
          const custom = defined.get(name);
          if (!custom) return [`Unknown field name '${name}' in custom field data.`];
          if (given !== null && !fitsCustomField(custom, given)) return [`Invalid value for custom field '${name}': ${JSON.stringify(given)}`];
          merged[name] = given;
        }
        record.custom_fields = merged;
        return undefined;
      }
    }
  }

  /** An id or a dictionary of attributes, as NetBox resolves related objects; a message when none or several match. */
  resolve(type: TypeKey, reference: unknown): number | string {
    if (typeof reference === "number") return this.objects[type].has(reference) ? reference : `Related object not found using the provided numeric ID: ${reference}`;
    const attributes = reference as Record<string, unknown>;
    const spec = TYPES[type];
    const matches = this.all(type).filter((record) =>
      Object.entries(attributes).every(([name, wanted]) => {
        const fieldSpec = spec.fields[name];
        if (fieldSpec?.kind === "ref") return record[name] === this.resolve(fieldSpec.target, wanted);
        return record[name] === wanted;
      }),
    );
    const shown = pythonDict(attributes);
    if (matches.length === 0) return `Related object not found using the provided attributes: ${shown}`;
    if (matches.length > 1) return `Multiple objects match the provided attributes: ${shown}`;
    return matches[0]!.id;
  }

  private uniqueIndex(type: TypeKey, rule: number): Map<string, number> {
    let index = this.uniqueIndexes.get(`${type}:${rule}`);
    if (!index) this.uniqueIndexes.set(`${type}:${rule}`, (index = new Map()));
    return index;
  }

  private objectErrors(spec: TypeSpec, record: NetboxRecord): FieldErrors {
    if (spec.key === "virtual-machines" && record.site === null && record.cluster === null) return { __all__: ["A virtual machine must be assigned to a site and/or cluster."] };
    return {};
  }


}

/** A uniqueness rule's key for a record (names compare case-insensitively); none while the name is unset. */
function uniqueKey(fields: string[], record: NetboxRecord): string | undefined {
  if (fields.includes("name") && (record.name === null || record.name === undefined)) return undefined;
  return JSON.stringify(fields.map((field) => (typeof record[field] === "string" ? (record[field] as string).toLowerCase() : (record[field] ?? null))));
}

function isEmpty(value: unknown): boolean {
  return value === null || value === "" || (Array.isArray(value) && value.length === 0) || (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

function isCidr(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const [address, mask, ...rest] = value.split("/");
  if (rest.length > 0 || mask === undefined || !/^\d{1,3}$/.test(mask)) return false;
  if (address!.includes(":")) return /^[0-9a-fA-F:]+$/.test(address!) && Number(mask) <= 128;
  const octets = address!.split(".");
  return octets.length === 4 && octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255) && Number(mask) <= 32;
}

function fitsCustomField(field: CustomField, value: unknown): boolean {
  if (field.type === "text") return typeof value === "string";
  if (field.type === "integer") return Number.isInteger(value);
  if (field.type === "boolean") return typeof value === "boolean";
  return true;
}

/** `{'name': 'x'}` as Python prints a dict: NetBox's messages quote the attributes that way. */
function pythonDict(attributes: Record<string, unknown>): string {
  const show = (value: unknown): string => (typeof value === "string" ? `'${value}'` : value && typeof value === "object" ? pythonDict(value as Record<string, unknown>) : String(value));
  return `{${Object.entries(attributes).map(([name, value]) => `'${name}': ${show(value)}`).join(", ")}}`;
}
