/**
 * The qemu command line for a test VM, as a pure function so its choices are
 * unit-tested without starting anything. Every VM is TCG-only: `/dev/kvm` on
 * these machines is a paravirtual variant that triple-faults (TESTPEERS.md).
 */

export type Firmware = "bios" | "uefi";
export type NicModel = "e1000" | "virtio-net-pci";

/** A Linux kernel booted directly by qemu (`-kernel/-initrd/-append`), skipping the firmware's boot devices. */
export interface DirectKernel {
  readonly kernel: string;
  readonly initrd: string;
  readonly append: string;
}

/** The OVMF pair: read-only code and a per-VM writable copy of the variable store. */
export interface UefiFlash {
  readonly code: string;
  readonly vars: string;
}

export interface QemuArgsOptions {
  readonly firmware: Firmware;
  /** The tap device (already created in the VM's namespace) the NIC is attached to. */
  readonly tap: string;
  /** Lower-case colon MAC of the VM's NIC. */
  readonly mac: string;
  /** @default "e1000" */
  readonly nic?: NicModel;
  /**
   * `qemu` keeps the NIC's option ROM (Debian's ipxe-qemu: iPXE itself is the
   * first DHCP client); `none` removes it, so OVMF's own PXE client (virtio-net
   * only: OVMF has no e1000 driver) asks for a boot file over TFTP first.
   * @default "qemu"
   */
  readonly nicRom?: "qemu" | "none";
  /** @default 512 (OVMF with a network-booted kernel and initramfs needs more than 256) */
  readonly memoryMiB?: number;
  readonly serialLog: string;
  /** SeaBIOS's debug console (I/O port 0x402), the only firmware trace under BIOS: iPXE prints to VGA. */
  readonly firmwareLog?: string;
  /** Required when `firmware` is `uefi`. */
  readonly uefi?: UefiFlash;
  readonly disk?: string;
  /** When set, qemu boots this kernel instead of the network. */
  readonly direct?: DirectKernel;
}

export class QemuArgsError extends Error {
  readonly code = "QEMU_BAD_OPTIONS";
  constructor(message: string) {
    super(message);
    this.name = "QemuArgsError";
  }
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function qemuArgs(o: QemuArgsOptions): string[] {
  if (!MAC.test(o.mac)) throw new QemuArgsError(`mac ${JSON.stringify(o.mac)} must be lower-case colon form`);
  // Bit 0 of the first octet marks a multicast address (IEEE 802-2014 §8.2.2): no NIC may use one.
  if (Number.parseInt(o.mac.slice(0, 2), 16) & 1) throw new QemuArgsError(`mac ${o.mac} is a multicast address`);
  if (o.firmware === "uefi" && !o.uefi) throw new QemuArgsError("uefi firmware needs the OVMF code and vars files");
  const args = [
    "-accel", "tcg",
    "-machine", "pc",
    "-m", String(o.memoryMiB ?? 512),
    "-smp", "1",
    "-nodefaults",
    "-display", "none",
    "-monitor", "none",
    "-serial", `file:${o.serialLog}`,
  ];
  // Under SeaBIOS a reboot means the boot failed: end the process. OVMF may
  // warm-reset once on a fresh variable store (EDK2 BDS resets when the
  // MemoryTypeInformation variable changes), so UEFI VMs keep rebooting.
  if (o.firmware === "bios") args.push("-no-reboot");
  if (o.firmware === "uefi" && o.uefi) {
    args.push(
      "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${o.uefi.code}`,
      "-drive", `if=pflash,format=raw,unit=1,file=${o.uefi.vars}`,
    );
  }
  if (o.firmwareLog && o.firmware === "bios") {
    args.push("-chardev", `file,id=fwlog,path=${o.firmwareLog}`, "-device", "isa-debugcon,iobase=0x402,chardev=fwlog");
  }
  // bootindex (rather than -boot order) is what both SeaBIOS and OVMF read from fw_cfg "bootorder".
  const netBoot = o.direct ? "" : ",bootindex=1";
  args.push(
    "-netdev", `tap,id=net0,ifname=${o.tap},script=no,downscript=no`,
    "-device", `${o.nic ?? "e1000"},netdev=net0,mac=${o.mac}${o.nicRom === "none" ? ",romfile=" : ""}${netBoot}`,
  );
  if (o.disk) {
    args.push(
      "-drive", `if=none,id=disk0,format=raw,file=${o.disk}`,
      "-device", `virtio-blk-pci,drive=disk0${o.direct ? "" : ",bootindex=2"}`,
    );
  }
  if (o.direct) args.push("-kernel", o.direct.kernel, "-initrd", o.direct.initrd, "-append", o.direct.append);
  return args;
}
