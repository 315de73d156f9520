/**
 * A lab of real (TCG) VMs behind real BMC emulators, for end-to-end tests of
 * the host controller: a boot LAN (boot-lan.ts: `srv` holds 10.77.0.1 for the
 * boot services, `lan` holds bridge br0), a private libvirtd in `lan` whose
 * domains' NICs sit on br0, sushy-tools' libvirt driver as the Redfish BMC of
 * the `redfish` VMs and one virtualbmc per `ipmi` VM. The BMC emulators reach
 * libvirtd through its Unix socket and listen on 127.0.0.1 of the host (the
 * default: the test process drives them) or of the `srv` namespace
 * (`bmcNamespace: "srv"`: where a manager that also serves the boot LAN
 * runs; `forward(port)` then carries the test's kube-apiserver port there).
 *
 *   const vmLab = await startVmLab({ vms: [{ bmc: "redfish" }, { bmc: "ipmi" }] });
 *   vmLab.vms[0].bmc   // { address, username, password } for a BareMetalHost
 *   vmLab.vms[0].mac   // its bootMACAddress
 *   await vmLab.stop();
 */
import { randomBytes, randomUUID } from "node:crypto";
import { copyFileSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { bootLan, type BootLan } from "./boot-lan.js";
import { startLibvirt, type Libvirt, type LibvirtDomain } from "./libvirt.js";
import type { DomainFirmware, DomainNicModel } from "./libvirt-domain-xml.js";
import { forwardIntoNamespace, type PortForward } from "./libvirt-lab-forward.js";
import { startLibvirtSushy, type LibvirtSushy } from "./libvirt-sushy.js";
import { NetnsLab } from "./netns.js";
import { sparseDisk } from "./ramdisk.js";
import { startVirtualBmc, type VirtualBmc } from "./vbmc.js";

export interface VmLabVm {
  readonly bmc: "redfish" | "ipmi";
  /** @default "bios" */
  readonly firmware?: DomainFirmware;
  /** @default "e1000" (BIOS) or "virtio" (UEFI: OVMF has no e1000 driver) */
  readonly nic?: DomainNicModel;
  /** @default "qemu" (BIOS: iPXE ROM) or "none" (UEFI: OVMF's own PXE) */
  readonly nicRom?: "qemu" | "none";
  /** @default ["network", "hd"] */
  readonly boot?: readonly ("network" | "hd")[];
  /** A raw image copied onto the disk first (then grown to `diskBytes`); else the disk is blank. */
  readonly diskImage?: string;
  /** Sparse: costs nothing until written. @default 4 GiB */
  readonly diskBytes?: number;
  /** @default 512 */
  readonly memoryMiB?: number;
}

export interface VmLabOptions {
  readonly vms: readonly VmLabVm[];
  /** Every BMC's credentials. @default admin / a random password */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** An existing NetnsLab + BootLan to build on (the caller cleans it up); else the lab makes its own. */
  readonly net?: BootLan;
  /** Whose 127.0.0.1 the BMC emulators listen on. @default "host" */
  readonly bmcNamespace?: "host" | "srv";
}

export interface VmLabBmc {
  readonly kind: "redfish" | "ipmi";
  /** BareMetalHost `spec.bmc.address`: `redfish+http://127.0.0.1:<port>/redfish/v1/Systems/<uuid>` or `ipmi://127.0.0.1:<port>`. */
  readonly address: string;
  readonly username: string;
  readonly password: string;
}

export interface LabVm {
  readonly name: string;
  /** The NIC's MAC: BareMetalHost `spec.bootMACAddress`. */
  readonly mac: string;
  readonly uuid: string;
  readonly firmware: DomainFirmware;
  readonly bmc: VmLabBmc;
  /** virsh-level control and the serial console, apart from any BMC. */
  readonly domain: LibvirtDomain;
  /** The raw disk file. */
  readonly disk: string;
}

export interface VmLabTimes {
  readonly libvirtReadyMs: number;
  readonly sushyMs: number;
  readonly vbmcMs: number;
  readonly totalMs: number;
}

export interface VmLab {
  readonly lab: NetnsLab;
  /** `net.srv` is where the boot service (or the manager) serves DHCP/TFTP/HTTP at 10.77.0.1. */
  readonly net: BootLan;
  readonly libvirt: Libvirt;
  /** Present when a VM has `bmc: "redfish"`. */
  readonly redfish: LibvirtSushy | undefined;
  readonly vms: readonly LabVm[];
  readonly times: VmLabTimes;
  /** Makes the host's 127.0.0.1:`port` (a kube-apiserver, say) answer on 127.0.0.1:`port` inside `net.srv` too. */
  forward(port: number): Promise<PortForward>;
  stop(): Promise<void>;
}

const GIB = 2 ** 30;

export async function startVmLab(o: VmLabOptions): Promise<VmLab> {
  const t0 = Date.now();
  const ownLab = o.net === undefined;
  const lab = o.net?.lab ?? new NetnsLab();
  const credentials = o.credentials ?? { username: "admin", password: randomBytes(12).toString("base64url") };
  const vbmcs: VirtualBmc[] = [];
  const forwards: PortForward[] = [];
  let libvirt: Libvirt | undefined;
  let redfish: LibvirtSushy | undefined;
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<void>): Promise<void> => f().catch((e: unknown) => void errors.push(e));
    for (const f of forwards) await attempt(() => f.stop());
    for (const v of vbmcs) await attempt(() => v.stop());
    if (redfish) await attempt(() => redfish!.stop());
    if (libvirt) await attempt(() => libvirt!.stop());
    if (ownLab) await attempt(() => lab.cleanup());
    if (errors.length > 0) throw new AggregateError(errors, "stopping the VM lab");
  };
  try {
    const net = o.net ?? (await bootLan(lab));
    const netns = o.bmcNamespace === "srv" ? { lab, ns: net.srv } : undefined;
    libvirt = await startLibvirt(lab, net.lan);
    const libvirtReadyMs = libvirt.times.readyMs;
    const salt = randomBytes(2);
    const domains: { spec: VmLabVm; domain: LibvirtDomain; firmware: DomainFirmware }[] = [];
    for (const [i, spec] of o.vms.entries()) {
      const firmware = spec.firmware ?? "bios";
      const disk = path.join(libvirt.dir, "vms", `vm${i}.raw`);
      const size = spec.diskBytes ?? 4 * GIB;
      if (spec.diskImage !== undefined) {
        copyFileSync(spec.diskImage, disk);
        if (statSync(disk).size < size) truncateSync(disk, size);
      } else {
        sparseDisk(disk, size);
      }
      const domain = await libvirt.define({
        name: `vm${i}`,
        uuid: randomUUID(),
        // Locally administered unicast (IEEE 802 U/L bit set, I/G clear), unique per lab and VM.
        mac: [0x52, 0x54, salt[0] ?? 0, salt[1] ?? 0, 0x10, i].map((b) => b.toString(16).padStart(2, "0")).join(":"),
        bridge: "br0",
        disk,
        firmware,
        nic: spec.nic ?? (firmware === "uefi" ? "virtio" : "e1000"),
        nicRom: spec.nicRom ?? (firmware === "uefi" ? "none" : "qemu"),
        boot: spec.boot,
        memoryMiB: spec.memoryMiB,
      });
      domains.push({ spec, domain, firmware });
    }
    let t = Date.now();
    if (o.vms.some((v) => v.bmc === "redfish")) {
      // Only the Redfish VMs are Systems: an IPMI VM has no second BMC.
      const systems = domains.filter((d) => d.spec.bmc === "redfish").map((d) => d.domain.uuid);
      redfish = await startLibvirtSushy({ libvirtUri: libvirt.uri, ...credentials, systems, netns });
    }
    const sushyMs = Date.now() - t;
    t = Date.now();
    const vms: LabVm[] = [];
    for (const { spec, domain, firmware } of domains) {
      let address: string;
      if (spec.bmc === "redfish") {
        address = redfish!.addressOf(domain.uuid);
      } else {
        const v = await startVirtualBmc({ libvirtUri: libvirt.uri, domain: domain.name, ...credentials, netns });
        vbmcs.push(v);
        address = v.address;
      }
      vms.push({ name: domain.name, mac: domain.mac, uuid: domain.uuid, firmware, disk: domain.disk, domain, bmc: { kind: spec.bmc, address, ...credentials } });
    }
    const vbmcMs = Date.now() - t;
    return {
      lab,
      net,
      libvirt,
      redfish,
      vms,
      times: { libvirtReadyMs, sushyMs, vbmcMs, totalMs: Date.now() - t0 },
      async forward(port) {
        const f = await forwardIntoNamespace(lab, net.srv, port);
        forwards.push(f);
        return f;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
