// The netbox plugin: NetBox's devices and virtual machines as hosts, and hosts back into NetBox
// (docs/netbox.md). The exports are exports with phases (docs/abi-v1.md): read_devices / read_vms read the
// related objects' tables and the objects Syncer owns (tagged) once per run (target.ts), each page is diffed
// against them and written in bulk (export.ts), finish_devices / finish_vms delete the owned objects whose
// hosts are gone (finish.ts).
import { runExport, runImport } from "../../sdk/index";
import { NetboxExporter } from "./export";
import { finishExport } from "./finish";
import { NetboxImporter } from "./import";
import { DEVICES, VMS } from "./kinds";
import { readTarget } from "./target";

export function import_devices(): i32 {
  return runImport(new NetboxImporter("/dcim/devices/", "devices"));
}

export function import_vms(): i32 {
  return runImport(new NetboxImporter("/virtualization/virtual-machines/", "virtual machines"));
}

export function read_devices(): i32 {
  return readTarget(DEVICES);
}

export function export_devices(): i32 {
  return runExport(new NetboxExporter(DEVICES));
}

export function finish_devices(): i32 {
  return finishExport(DEVICES);
}

export function read_vms(): i32 {
  return readTarget(VMS);
}

export function export_vms(): i32 {
  return runExport(new NetboxExporter(VMS));
}

export function finish_vms(): i32 {
  return finishExport(VMS);
}
