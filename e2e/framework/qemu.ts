/**
 * Test VMs: qemu (TCG, legacy BIOS or OVMF UEFI) inside a lab namespace, its
 * NIC on a tap device there, its serial console in a file. The VM is a
 * supervised child of the lab, so `lab.cleanup()` stops it even when a test
 * fails; `stop()` ends it earlier.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { NetnsLab } from "./netns.js";
import type { Supervised } from "./process.js";
import { qemuArgs, QemuArgsError, type QemuArgsOptions } from "./qemu-args.js";

export type { Firmware, NicModel, DirectKernel } from "./qemu-args.js";

export class QemuError extends Error {
  constructor(
    readonly code: "QEMU_MISSING" | "QEMU_FIRMWARE_MISSING" | "QEMU_TIMEOUT" | "QEMU_EXITED",
    message: string,
  ) {
    super(message);
    this.name = "QemuError";
  }
}

const QEMU = "/usr/bin/qemu-system-x86_64";
const OVMF_DIR = "/usr/share/OVMF";

/** Debian's `ovmf` package: the 4 MiB build when present (bookworm and later), else the 2 MiB one. */
export function ovmfFiles(): { code: string; varsTemplate: string } {
  for (const suffix of ["_4M", ""]) {
    const code = path.join(OVMF_DIR, `OVMF_CODE${suffix}.fd`);
    const varsTemplate = path.join(OVMF_DIR, `OVMF_VARS${suffix}.fd`);
    if (existsSync(code) && existsSync(varsTemplate)) return { code, varsTemplate };
  }
  throw new QemuError("QEMU_FIRMWARE_MISSING", `no OVMF_CODE/OVMF_VARS pair in ${OVMF_DIR}: run scripts/peers/debian.sh`);
}

export interface VmOptions extends Omit<QemuArgsOptions, "serialLog" | "firmwareLog" | "uefi"> {
  /** Names the log files in the lab directory; [a-z0-9-]. */
  readonly name: string;
}

export interface Vm {
  readonly name: string;
  readonly mac: string;
  /** `Date.now()` just before qemu was spawned: the origin of every boot-time figure. */
  readonly startedAt: number;
  readonly serialLog: string;
  /** SeaBIOS debug output (BIOS VMs only). */
  readonly firmwareLog: string | undefined;
  readonly process: Supervised;
  /** The serial console so far. */
  serial(): string;
  /** Resolves with ms since start once the serial console matches `pattern`. */
  waitForSerial(pattern: RegExp, timeoutMs: number): Promise<number>;
  /** Resolves with qemu's exit code (0 after a guest power-off) and the ms since start. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; elapsedMs: number }>;
  stop(): Promise<void>;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function startVm(lab: NetnsLab, ns: string, opts: VmOptions): Vm {
  if (!existsSync(QEMU)) throw new QemuError("QEMU_MISSING", `${QEMU} not found: run scripts/peers/debian.sh`);
  if (!/^[a-z0-9-]{1,32}$/.test(opts.name)) throw new QemuArgsError(`vm name ${JSON.stringify(opts.name)} must be [a-z0-9-]{1,32}`);
  const file = (suffix: string): string => path.join(lab.dir, `${opts.name}.${suffix}`);
  const serialLog = file("serial.log");
  const firmwareLog = opts.firmware === "bios" ? file("seabios.log") : undefined;
  let uefi: QemuArgsOptions["uefi"];
  if (opts.firmware === "uefi") {
    const { code, varsTemplate } = ovmfFiles();
    // OVMF writes its boot variables: each VM gets its own copy, never the package's file.
    const vars = file("OVMF_VARS.fd");
    copyFileSync(varsTemplate, vars);
    uefi = { code, vars };
  }
  const args = qemuArgs({ ...opts, serialLog, firmwareLog, uefi });
  const startedAt = Date.now();
  const proc = lab.start(ns, { name: `${opts.name}.qemu`, command: QEMU, args });

  const elapsed = (): number => Date.now() - startedAt;
  const describe = (): string =>
    `serial console of ${opts.name}:\n${readOr(serialLog).slice(-3000)}\nqemu:\n${proc.tail(20)}`;

  return {
    name: opts.name,
    mac: opts.mac,
    startedAt,
    serialLog,
    firmwareLog,
    process: proc,
    serial: () => readOr(serialLog),
    async waitForSerial(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pattern.test(readOr(serialLog))) return elapsed();
        if (proc.child.exitCode !== null) {
          throw new QemuError("QEMU_EXITED", `${opts.name} exited (${proc.child.exitCode}) before ${pattern}\n${describe()}`);
        }
        await sleep(100);
      }
      throw new QemuError("QEMU_TIMEOUT", `${opts.name}: no ${pattern} within ${timeoutMs} ms\n${describe()}`);
    },
    async waitForExit(timeoutMs) {
      const code = await Promise.race([proc.exited, sleep(timeoutMs).then(() => "timeout" as const)]);
      if (code === "timeout") throw new QemuError("QEMU_TIMEOUT", `${opts.name} still running after ${timeoutMs} ms\n${describe()}`);
      return { code, elapsedMs: elapsed() };
    },
    stop: () => proc.stop(2000),
  };
}
