// What an export writes: devices or virtual machines, and the related-object fields each has.

export class ObjectKind {
  constructor(
    public devices: bool,
    /** The list endpoint under /api. */
    public path: string,
    /** One, in messages: "device". */
    public noun: string,
    /** The fields naming a related object, which rules' outcomes set by name or slug. */
    public refs: string[],
  ) {}
}

export const DEVICES = new ObjectKind(true, "/dcim/devices/", "device", ["site", "role", "device_type", "platform", "cluster", "tenant"]);
export const VMS = new ObjectKind(false, "/virtualization/virtual-machines/", "virtual machine", ["site", "role", "platform", "cluster", "tenant"]);
