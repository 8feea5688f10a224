// Groups made from labels: (label, value) → group, looked up by the value's bytes so that a page of
// hosts costs one hash and one compare per grouped label, and a group name (a string) is made only
// once per distinct value.
import { ByteBuffer } from "../../sdk/index";

/**
 * An Ansible group name: letters, digits and '_' (every other character, a multi-byte one included,
 * becomes one '_'), not starting with a digit ('_' is put before it), and never one of the names
 * Ansible's inventory JSON reserves.
 */
export function sanitizeGroupName(text: string): string {
  const bytes = String.UTF8.encode(text);
  const n = bytes.byteLength;
  const src = changetype<usize>(bytes);
  const out = new ByteBuffer(n + 2);
  for (let i = 0; i < n; ) {
    const c = load<u8>(src + <usize>i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f) {
      if (out.length == 0 && c <= 0x39) out.writeByte(0x5f);
      out.writeByte(c);
      i++;
    } else {
      out.writeByte(0x5f);
      i++;
      // The continuation bytes of a multi-byte character belong to the one '_'.
      while (i < n && (load<u8>(src + <usize>i) & 0xc0) == 0x80) i++;
    }
  }
  const name = String.UTF8.decodeUnsafe(out.dataStart, <usize>out.length);
  if (name == "all" || name == "ungrouped" || name == "_meta" || name.length == 0) return "_" + name;
  return name;
}

export class Groups {
  /** Group names in order of first appearance. */
  names: string[] = [];
  /** Per group, the indices of its hosts. */
  members: Array<Array<i32>> = [];
  private byName: Map<string, i32> = new Map<string, i32>();

  // Open addressing over entries (label, value bytes) → group.
  private keys: ByteBuffer = new ByteBuffer(4096);
  private entryLabel: Array<i32> = [];
  private entryOffset: Array<i32> = [];
  private entryLength: Array<i32> = [];
  private entryHash: Array<u32> = [];
  private entryGroup: Array<i32> = [];
  /** 0: empty, else entry index + 1. */
  private slots: StaticArray<i32> = new StaticArray<i32>(256);

  constructor(private prefix: string, private labels: string[]) {}

  get count(): i32 {
    return this.names.length;
  }

  /** The group of label number `label` with the UTF-8 value at [ptr, ptr+len). */
  lookup(label: i32, ptr: usize, len: i32): i32 {
    let hash: u32 = 2166136261 ^ <u32>label;
    for (let i = 0; i < len; i++) hash = (hash ^ <u32>load<u8>(ptr + <usize>i)) * 16777619;
    const slots = this.slots;
    const mask = <u32>slots.length - 1;
    let slot = hash & mask;
    while (true) {
      const entry = unchecked(slots[slot]) - 1;
      if (entry < 0) break;
      if (
        unchecked(this.entryHash[entry]) == hash &&
        unchecked(this.entryLabel[entry]) == label &&
        unchecked(this.entryLength[entry]) == len &&
        memory.compare(this.keys.dataStart + <usize>unchecked(this.entryOffset[entry]), ptr, <usize>len) == 0
      ) {
        return unchecked(this.entryGroup[entry]);
      }
      slot = (slot + 1) & mask;
    }
    const group = this.groupNamed(sanitizeGroupName(this.prefix + this.labels[label] + "_" + String.UTF8.decodeUnsafe(ptr, <usize>len)));
    const entry = this.entryGroup.length;
    this.entryLabel.push(label);
    this.entryOffset.push(this.keys.length);
    this.entryLength.push(len);
    this.entryHash.push(hash);
    this.entryGroup.push(group);
    this.keys.writeBytes(ptr, <usize>len);
    unchecked((slots[slot] = entry + 1));
    if ((entry + 1) * 2 > slots.length) this.grow();
    return group;
  }

  /** The group a rule names (sanitised, no prefix). */
  named(name: string): i32 {
    return this.groupNamed(sanitizeGroupName(name));
  }

  /** The group called `name`, made when new: two values may sanitise to the same name. */
  private groupNamed(name: string): i32 {
    if (this.byName.has(name)) return this.byName.get(name);
    const group = this.names.length;
    this.names.push(name);
    this.members.push([]);
    this.byName.set(name, group);
    return group;
  }

  private grow(): void {
    const slots = new StaticArray<i32>(this.slots.length << 1);
    const mask = <u32>slots.length - 1;
    for (let entry = 0, n = this.entryHash.length; entry < n; entry++) {
      let slot = unchecked(this.entryHash[entry]) & mask;
      while (unchecked(slots[slot]) != 0) slot = (slot + 1) & mask;
      unchecked((slots[slot] = entry + 1));
    }
    this.slots = slots;
  }
}
