// The netbox plugin: NetBox's devices and virtual machines as hosts (docs/netbox.md).
import { runImport } from "../../sdk/index";
import { NetboxImporter } from "./import";

export function import_devices(): i32 {
  return runImport(new NetboxImporter("/dcim/devices/", "devices"));
}

export function import_vms(): i32 {
  return runImport(new NetboxImporter("/virtualization/virtual-machines/", "virtual machines"));
}
