/**
 * The inventory found by inspection: Metal3's HardwareDetails, shared by
 * BareMetalHost `status.hardware` and HardwareData `spec.hardware`.
 */
import { arr, bool, enumOf, int, num, obj, str, type Infer } from "../../schema/builder.js";

/** A MAC address, colon-separated (IEEE 802 canonical form as Linux prints it). */
export const MAC_PATTERN = "^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$";

const vlanId = (description: string) => int(description, { format: "int32", minimum: 0, maximum: 4094 });

export const nicSchema = obj("One network interface on the host.", {
  name: str('The name of the network interface, e.g. "en0".'),
  model: str('The vendor and product IDs of the NIC, e.g. "0x8086 0x1572".'),
  mac: str("The device MAC address.", { pattern: MAC_PATTERN }),
  ip: str("The interface's IPv4 or IPv6 address; a dual-stack NIC appears twice, once per address."),
  speedGbps: int("The speed of the device in gigabits per second."),
  vlans: arr(
    "The VLANs available.",
    obj("A VLAN's name and ID.", {
      id: vlanId("A 12-bit 802.1Q VLAN identifier."),
      name: str("The VLAN's name."),
    }),
  ),
  vlanId: vlanId("The untagged VLAN ID."),
  pxe: bool("Whether the NIC can PXE boot."),
  pciAddress: str("The NIC's PCI address."),
  lldp: obj("LLDP data seen on this interface.", {
    switchID: str("The switch chassis ID from LLDP."),
    portID: str("The switch port ID from LLDP."),
    switchSystemName: str("The switch system name from LLDP."),
  }),
});
export type NIC = Infer<typeof nicSchema>;

export const storageSchema = obj("One storage device (disk, SSD, ...) on the host.", {
  name: str("A Linux device name of the disk, stable across reboots when one exists (e.g. a /dev/disk/by-path link)."),
  alternateNames: arr("Other Linux device names of the disk, e.g. /dev/sda; not exhaustive.", str("A device name.")),
  rotational: bool("Whether the disk is rotational storage; prefer `type`."),
  type: enumOf("Device type.", ["HDD", "SSD", "NVME"]),
  sizeBytes: int("The size of the disk in bytes.", { format: "int64" }),
  model: str("Hardware model."),
  vendor: str("The name of the vendor of the device."),
  serialNumber: str("The serial number of the device."),
  wwn: str("The WWN of the device."),
  wwnWithExtension: str("The WWN with the vendor extension."),
  wwnVendorExtension: str("The WWN vendor extension of the device."),
  hctl: str("The SCSI location of the device (host:channel:target:lun)."),
});
export type Storage = Infer<typeof storageSchema>;

export const hardwareDetailsSchema = obj("The hardware found on the host by inspection.", {
  systemVendor: obj("System vendor information.", {
    manufacturer: str("The system's manufacturer."),
    productName: str("The system's product name."),
    serialNumber: str("The system's serial number."),
  }),
  firmware: obj("System firmware information.", {
    bios: obj("The BIOS of this firmware.", {
      date: str("The release or build date of the BIOS."),
      vendor: str("The vendor of the BIOS."),
      version: str("The version of the BIOS."),
    }),
  }),
  ramMebibytes: int("The host's memory in mebibytes."),
  nics: arr("The host's network interfaces.", nicSchema),
  storage: arr("The host's storage devices.", storageSchema),
  cpu: obj("The host's CPUs.", {
    arch: str('CPU architecture, e.g. "x86_64".'),
    model: str("CPU model name."),
    clockMegahertz: num("Clock speed in MHz.", { format: "double" }),
    flags: arr("CPU feature flags.", str("A CPU flag.")),
    count: int("Number of CPUs."),
  }),
  hostname: str("The host's name at inspection time."),
});
export type HardwareDetails = Infer<typeof hardwareDetailsSchema>;
