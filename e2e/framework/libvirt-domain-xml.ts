/**
 * The libvirt domain XML of a test VM, as a pure function so its choices are
 * unit-tested without a daemon. Every domain is `type='qemu'` (TCG): `/dev/kvm`
 * on these machines is a paravirtual variant that triple-faults
 * (TESTPEERS.md). ACPI is on, or a guest `poweroff` only halts the CPU and the
 * domain never reaches `shut off`.
 */

export type DomainFirmware = "bios" | "uefi";
export type DomainNicModel = "e1000" | "virtio";

export interface DomainSpec {
  /** libvirt domain name; [a-z0-9-]{1,32}. */
  readonly name: string;
  /** Lower-case colon MAC of the only NIC. */
  readonly mac: string;
  /** The bridge (in libvirtd's network namespace) the NIC's tap is enslaved to. */
  readonly bridge: string;
  /** Raw disk image file (virtio-blk, `vda`). */
  readonly disk: string;
  /** The guest's first serial port is appended to this file. */
  readonly serialLog: string;
  /** @default "bios" (SeaBIOS) */
  readonly firmware?: DomainFirmware;
  /** Required for `uefi`: OVMF code (read-only) and this domain's own copy of the variable store. */
  readonly uefi?: { readonly code: string; readonly vars: string };
  /** @default "e1000" */
  readonly nic?: DomainNicModel;
  /**
   * `qemu`: the NIC keeps qemu's option ROM (Debian's iPXE). `none`: no ROM,
   * so under OVMF the firmware's own PXE client (virtio only) boots first.
   * @default "qemu"
   */
  readonly nicRom?: "qemu" | "none";
  /** @default 512 */
  readonly memoryMiB?: number;
  /**
   * The firmware's boot order. sushy-tools and virtualbmc rewrite it for a
   * boot override (persistently: neither keeps "once").
   * @default ["network", "hd"]
   */
  readonly boot?: readonly ("network" | "hd")[];
  /** Fixed SMBIOS system UUID (sushy-tools' Redfish System id); libvirt invents one otherwise. */
  readonly uuid?: string;
}

export class DomainSpecError extends Error {
  readonly code = "LIBVIRT_BAD_DOMAIN_SPEC";
  constructor(message: string) {
    super(message);
    this.name = "DomainSpecError";
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** XML attribute/text escaping (XML 1.0 §2.4): paths come from the test, never trusted to be plain. */
export function xmlEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

function check(spec: DomainSpec): void {
  if (!/^[a-z0-9-]{1,32}$/.test(spec.name)) throw new DomainSpecError(`domain name ${JSON.stringify(spec.name)} must be [a-z0-9-]{1,32}`);
  if (!MAC.test(spec.mac)) throw new DomainSpecError(`mac ${JSON.stringify(spec.mac)} must be lower-case colon form`);
  // Bit 0 of the first octet marks a multicast address (IEEE 802-2014 §8.2.2): no NIC may use one.
  if (Number.parseInt(spec.mac.slice(0, 2), 16) & 1) throw new DomainSpecError(`mac ${spec.mac} is a multicast address`);
  if (spec.uuid !== undefined && !UUID.test(spec.uuid)) throw new DomainSpecError(`uuid ${JSON.stringify(spec.uuid)} must be lower-case 8-4-4-4-12 hex`);
  if ((spec.firmware ?? "bios") === "uefi" && spec.uefi === undefined) throw new DomainSpecError("uefi firmware needs the OVMF code and vars files");
  const boot = spec.boot ?? ["network", "hd"];
  if (boot.length === 0 || new Set(boot).size !== boot.length) throw new DomainSpecError(`boot order ${JSON.stringify(boot)} must name each device at most once`);
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(spec.bridge)) throw new DomainSpecError(`bridge ${JSON.stringify(spec.bridge)} is not an interface name`);
}

export function domainXml(spec: DomainSpec): string {
  check(spec);
  const e = xmlEscape;
  const firmware = spec.firmware ?? "bios";
  const loader =
    firmware === "uefi" && spec.uefi
      ? [`    <loader readonly='yes' type='pflash'>${e(spec.uefi.code)}</loader>`, `    <nvram>${e(spec.uefi.vars)}</nvram>`]
      : [];
  // `<rom enabled='no'/>` drops the option ROM; OVMF's own virtio-net driver then does PXE.
  const rom = spec.nicRom === "none" ? ["      <rom enabled='no'/>"] : [];
  return [
    "<domain type='qemu'>",
    `  <name>${e(spec.name)}</name>`,
    ...(spec.uuid !== undefined ? [`  <uuid>${spec.uuid}</uuid>`] : []),
    `  <memory unit='MiB'>${spec.memoryMiB ?? 512}</memory>`,
    "  <vcpu>1</vcpu>",
    "  <os>",
    "    <type arch='x86_64' machine='pc'>hvm</type>",
    ...loader,
    // Network first, then the disk, by default: the Metal3 convention, where the
    // boot service decides per MAC whether iPXE boots a ramdisk or exits to the disk.
    ...(spec.boot ?? ["network", "hd"]).map((dev) => `    <boot dev='${dev}'/>`),
    "  </os>",
    "  <features><acpi/></features>",
    "  <on_poweroff>destroy</on_poweroff>",
    "  <on_reboot>restart</on_reboot>",
    "  <on_crash>destroy</on_crash>",
    "  <devices>",
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>",
    "    <disk type='file' device='disk'>",
    "      <driver name='qemu' type='raw'/>",
    `      <source file='${e(spec.disk)}'/>`,
    "      <target dev='vda' bus='virtio'/>",
    "    </disk>",
    "    <interface type='bridge'>",
    `      <source bridge='${e(spec.bridge)}'/>`,
    `      <mac address='${spec.mac}'/>`,
    `      <model type='${spec.nic ?? "e1000"}'/>`,
    ...rom,
    "    </interface>",
    "    <serial type='file'>",
    `      <source path='${e(spec.serialLog)}' append='on'/>`,
    "      <target port='0'/>",
    "    </serial>",
    "    <memballoon model='none'/>",
    "  </devices>",
    "</domain>",
    "",
  ].join("\n");
}
