/**
 * Anvil's deploy ramdisk (ramdisk/build.sh) booted directly by qemu (TCG,
 * `-kernel/-initrd`) with user-mode networking: the guest reaches the host's
 * loopback at 10.0.2.2, so a test's HTTP server on 127.0.0.1 plays the
 * manager without any namespace. Disks are sparse raw files with the serials
 * and WWNs the test gives, on virtio-blk or a virtio-scsi `scsi-hd`.
 */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, ftruncateSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "./peers.js";
import { startProcess, type Supervised } from "./process.js";

export interface RamdiskPayload {
  readonly kernel: string;
  readonly initrd: string;
}

let built: RamdiskPayload | undefined;

export function ramdiskPayload(): RamdiskPayload {
  if (built) return built;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "ramdisk/build.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const dir = out.split("\n").pop() ?? "";
  built = { kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initramfs.gz") };
  return built;
}

/** The address of the host's loopback as seen from a qemu user-network guest. */
export const HOST_FROM_GUEST = "10.0.2.2";

export interface VmDisk {
  readonly file: string;
  readonly sizeBytes: number;
  readonly bus: "virtio" | "scsi";
  readonly serial: string;
  /** scsi only: 0x-prefixed 64-bit NAA name. */
  readonly wwn?: string;
}

export interface RamdiskVmOptions {
  readonly dir: string;
  /** Names the log files; [a-z0-9-]. @default "ramdisk" */
  readonly name?: string;
  readonly mac: string;
  readonly disks: readonly VmDisk[];
  /** The ramdisk's kernel command line; without it the VM boots its first disk (and the disk files are kept as they are). */
  readonly append?: string;
  /** @default 512 */
  readonly memoryMiB?: number;
}

export interface RamdiskVm {
  readonly startedAt: number;
  readonly serialLog: string;
  readonly process: Supervised;
  serial(): string;
  waitForExit(timeoutMs: number): Promise<number | null>;
  stop(): Promise<void>;
}

/** A sparse file of `sizeBytes`: a multi-GiB disk costs nothing until written. */
export function sparseDisk(file: string, sizeBytes: number): void {
  const fd = openSync(file, "w");
  try {
    ftruncateSync(fd, sizeBytes);
  } finally {
    closeSync(fd);
  }
}

export function ramdiskVmArgs(o: RamdiskVmOptions & RamdiskPayload & { serialLog: string }): string[] {
  const args = [
    "-accel", "tcg", "-machine", "pc", "-m", String(o.memoryMiB ?? 512), "-smp", "1",
    "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot",
    "-serial", `file:${o.serialLog}`,
    "-netdev", "user,id=net0",
    "-device", `virtio-net-pci,netdev=net0,mac=${o.mac},romfile=`,
  ];
  if (o.disks.some((d) => d.bus === "scsi")) args.push("-device", "virtio-scsi-pci,id=scsi0");
  o.disks.forEach((d, i) => {
    args.push("-drive", `if=none,id=disk${i},format=raw,file=${d.file}`);
    if (d.bus === "virtio") args.push("-device", `virtio-blk-pci,drive=disk${i},serial=${d.serial}`);
    else args.push("-device", `scsi-hd,drive=disk${i},bus=scsi0.0,serial=${d.serial}${d.wwn ? `,wwn=${d.wwn}` : ""}`);
  });
  if (o.append !== undefined) args.push("-kernel", o.kernel, "-initrd", o.initrd, "-append", o.append);
  return args;
}

export function startRamdiskVm(o: RamdiskVmOptions): RamdiskVm {
  const payload = ramdiskPayload();
  const name = o.name ?? "ramdisk";
  const serialLog = path.join(o.dir, `${name}.serial.log`);
  if (o.append !== undefined) for (const d of o.disks) sparseDisk(d.file, d.sizeBytes);
  const args = ramdiskVmArgs({ ...o, ...payload, serialLog });
  const startedAt = Date.now();
  const proc = startProcess({
    name: `${name}-vm`,
    command: "/usr/bin/qemu-system-x86_64",
    args,
    logFile: path.join(o.dir, `${name}.qemu.log`),
  });
  const serial = (): string => {
    try {
      return readFileSync(serialLog, "utf8");
    } catch {
      return "";
    }
  };
  return {
    startedAt,
    serialLog,
    process: proc,
    serial,
    async waitForExit(timeoutMs) {
      const code = await Promise.race([proc.exited, sleep(timeoutMs).then(() => "timeout" as const)]);
      if (code === "timeout") throw new Error(`ramdisk VM still running after ${timeoutMs} ms\n${serial().slice(-2000)}`);
      return code;
    },
    stop: () => proc.stop(2000),
  };
}
