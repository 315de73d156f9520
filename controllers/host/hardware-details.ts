/** Maps a BMC or agent inventory onto Metal3's HardwareDetails (status.hardware). */
import type { HardwareDetails } from "../../api/index.js";
import type { Inventory } from "../../bmc/types.js";

export function toHardwareDetails(inv: Inventory): HardwareDetails {
  const out: HardwareDetails = {
    nics: inv.nics.map((n) => ({
      name: n.name,
      mac: n.mac,
      ...(n.ip !== undefined ? { ip: n.ip } : {}),
      ...(n.speedGbps !== undefined ? { speedGbps: n.speedGbps } : {}),
    })),
    storage: inv.storage.map((d) => ({
      name: d.name,
      sizeBytes: d.sizeBytes,
      ...(d.rotational !== undefined ? { rotational: d.rotational } : {}),
      ...(d.serialNumber !== undefined ? { serialNumber: d.serialNumber } : {}),
      ...(d.wwn !== undefined ? { wwn: d.wwn } : {}),
      ...(d.model !== undefined ? { model: d.model } : {}),
      ...(d.vendor !== undefined ? { vendor: d.vendor } : {}),
    })),
  };
  if (inv.ramMebibytes !== undefined) out.ramMebibytes = inv.ramMebibytes;
  if (inv.systemVendor !== undefined) out.systemVendor = { ...inv.systemVendor };
  if (inv.firmware?.bios !== undefined) out.firmware = { bios: { ...inv.firmware.bios } };
  if (inv.cpu !== undefined) out.cpu = { ...inv.cpu };
  return out;
}
