/** Anvil's boot devices onto the IPMI boot device selector and back (§28.13, parameter 5 data 2). */
import type { BootDevice } from "../types.js";
import { BmcError, BmcErrorCode } from "../errors.js";
import { BootDeviceSelector } from "./commands/boot-options.js";

export function selectorFor(device: BootDevice, where: string): number {
  switch (device) {
    case "pxe":
      return BootDeviceSelector.Pxe;
    case "disk":
      return BootDeviceSelector.Disk;
    case "cdrom":
      return BootDeviceSelector.CdDvd;
    case "bios":
      return BootDeviceSelector.BiosSetup;
    case "uefi-http":
      throw new BmcError(BmcErrorCode.NotSupported, `IPMI ${where}: IPMI has no UEFI HTTP boot device selector`);
  }
}

export function deviceFor(selector: number, where: string): BootDevice | "none" {
  switch (selector) {
    case BootDeviceSelector.NoOverride:
      return "none";
    case BootDeviceSelector.Pxe:
      return "pxe";
    case BootDeviceSelector.Disk:
    case BootDeviceSelector.DiskSafeMode:
    case BootDeviceSelector.RemoteDisk:
      return "disk";
    case BootDeviceSelector.CdDvd:
    case BootDeviceSelector.RemoteCdDvd:
      return "cdrom";
    case BootDeviceSelector.BiosSetup:
      return "bios";
    default:
      throw new BmcError(
        BmcErrorCode.NotSupported,
        `IPMI ${where}: boot device selector 0x${selector.toString(16)} has no Anvil equivalent`,
      );
  }
}
