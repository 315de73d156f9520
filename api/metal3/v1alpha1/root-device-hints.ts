/**
 * Metal3's RootDeviceHints: how the deploy agent picks the disk to write the
 * image to. Every hint given must match; unset hints match anything.
 */
import { bool, int, obj, str, type Infer } from "../../schema/builder.js";

export const rootDeviceHintsSchema = obj("Hints that choose the root device for the image; all given hints must match.", {
  deviceName: str(
    'A Linux device name like "/dev/vda", or a by-path link to it like "/dev/disk/by-path/pci-0000:01:00.0-scsi-0:2:0:0"; must match exactly.',
  ),
  hctl: str("A SCSI bus address like 0:0:0:0; must match exactly."),
  model: str("A vendor-specific device identifier; may be a substring of the actual value."),
  vendor: str("The vendor or manufacturer of the device; may be a substring of the actual value."),
  serialNumber: str("Device serial number; must match exactly."),
  minSizeGigabytes: int("The minimum size of the device in gigabytes.", { minimum: 0 }),
  wwn: str("Unique storage identifier; must match exactly."),
  wwnWithExtension: str("Unique storage identifier with the vendor extension appended; must match exactly."),
  wwnVendorExtension: str("Unique vendor storage identifier; must match exactly."),
  rotational: bool("True for spinning media, false for solid state."),
});
export type RootDeviceHints = Infer<typeof rootDeviceHintsSchema>;
