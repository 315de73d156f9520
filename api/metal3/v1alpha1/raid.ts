/**
 * Metal3's RAID and (deprecated) firmware settings. Anvil accepts them so
 * Metal3 manifests apply, and reports them on the host as not implemented.
 */
import { arr, bool, enumOf, int, obj, str, type Infer } from "../../schema/builder.js";
import { rootDeviceHintsSchema } from "./root-device-hints.js";

const hardwareRAIDVolumeSchema = obj(
  "A logical disk to create with the hardware RAID controller.",
  {
    sizeGibibytes: int("Size in GiB; 0 or unset uses the disks' whole capacity.", { minimum: 0 }),
    level: enumOf("RAID level.", ["0", "1", "2", "5", "6", "1+0", "5+0", "6+0"]),
    name: str("Name of the volume, unique within the host.", { maxLength: 64 }),
    rotational: bool("Use only rotational (true) or only solid-state (false) disks."),
    numberOfPhysicalDisks: int("Number of physical disks; defaults to the level's minimum.", { minimum: 1 }),
    controller: str("The name of the RAID controller to use."),
    physicalDisks: arr("Physical disk names, in the controller's own format.", str("A disk name.")),
  },
  { required: ["level"] },
);

const softwareRAIDVolumeSchema = obj(
  "A logical disk to create with software RAID.",
  {
    sizeGibibytes: int("Size in GiB; 0 or unset uses the disks' whole capacity.", { minimum: 0 }),
    level: enumOf("RAID level.", ["0", "1", "1+0"]),
    physicalDisks: arr("At least two device hints selecting the member disks.", rootDeviceHintsSchema, { minItems: 2 }),
  },
  { required: ["level"] },
);

export const raidConfigSchema = obj("RAID configuration applied before provisioning.", {
  hardwareRAIDVolumes: arr(
    "Logical disks for hardware RAID; [] clears the configuration.",
    hardwareRAIDVolumeSchema,
    { nullable: true },
  ),
  softwareRAIDVolumes: arr(
    "Logical disks for software RAID (one or two; the first must be RAID-1).",
    softwareRAIDVolumeSchema,
    { maxItems: 2, nullable: true },
  ),
});
export type RAIDConfig = Infer<typeof raidConfigSchema>;

export const firmwareConfigSchema = obj("Deprecated BIOS settings; no Metal3 driver implements them any more.", {
  virtualizationEnabled: bool("Supports the virtualization of platform hardware."),
  simultaneousMultithreadingEnabled: bool("Lets one physical core appear as several logical processors."),
  sriovEnabled: bool("SR-IOV support for PCI-express devices."),
});
export type FirmwareConfig = Infer<typeof firmwareConfigSchema>;

export const customDeploySchema = obj(
  "A custom deploy procedure provided by a site-specific ramdisk.",
  { method: str("The custom deploy method's name, specific to the ramdisk.") },
  { required: ["method"] },
);
export type CustomDeploy = Infer<typeof customDeploySchema>;
