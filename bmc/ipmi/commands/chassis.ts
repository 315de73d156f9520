/** Chassis (NetFn 0x00) power commands (IPMI v2.0 §28.2, §28.3). */
import { need } from "../decode-error.js";
import { NetFn } from "../lan-message.js";
import type { IpmiCommand } from "./command.js";

export interface ChassisStatus {
  /** Current Power State bit 0: "System Power is on" (§28.2 Table 28-3). */
  readonly powerOn: boolean;
  /** Bit 1: power overload; bit 3: power fault. */
  readonly powerFault: boolean;
  /** Bits 6:5: power restore policy (0 stays off, 1 restores, 2 always on, 3 unknown). */
  readonly restorePolicy: number;
}

/** Get Chassis Status, §28.2 Table 28-3. */
export function getChassisStatus(): IpmiCommand<ChassisStatus> {
  return {
    name: "Get Chassis Status",
    netFn: NetFn.Chassis,
    cmd: 0x01,
    data: new Uint8Array(0),
    decode(d) {
      need(d, 3, "Get Chassis Status response");
      const p = d[0] ?? 0;
      return { powerOn: (p & 0x01) !== 0, powerFault: (p & 0x0a) !== 0, restorePolicy: (p >> 5) & 0x03 };
    },
  };
}

/** Chassis Control byte 1, bits 3:0 (§28.3 Table 28-4). */
export const ChassisControl = {
  PowerDown: 0x00,
  PowerUp: 0x01,
  PowerCycle: 0x02,
  HardReset: 0x03,
  DiagnosticInterrupt: 0x04,
  /** "Initiate a soft-shutdown of OS via ACPI by emulating a fatal overtemperature". */
  SoftShutdown: 0x05,
} as const;
export type ChassisControl = (typeof ChassisControl)[keyof typeof ChassisControl];

export function chassisControl(op: ChassisControl): IpmiCommand<void> {
  return { name: "Chassis Control", netFn: NetFn.Chassis, cmd: 0x02, data: Uint8Array.of(op), decode: () => undefined };
}
