/**
 * Set/Get System Boot Options (IPMI v2.0 §28.12, §28.13) and the boot
 * parameters Anvil touches: 0 set-in-progress, 4 boot info acknowledge,
 * 5 boot flags (§28.13 Table 28-14).
 */
import { IpmiDecodeError, need } from "../decode-error.js";
import { NetFn } from "../lan-message.js";
import type { IpmiCommand } from "./command.js";

export const BootParameter = { SetInProgress: 0, BootInfoAcknowledge: 4, BootFlags: 5 } as const;

/** Parameter 0 values (§28.13 Table 28-14, parameter 0, bits 1:0). */
export const SetInProgress = { SetComplete: 0x00, SetInProgress: 0x01, CommitWrite: 0x02 } as const;

/** Boot device selector, boot flags data 2 bits 5:2 (§28.13 Table 28-14, parameter 5). */
export const BootDeviceSelector = {
  NoOverride: 0x0,
  Pxe: 0x1,
  Disk: 0x2,
  DiskSafeMode: 0x3,
  DiagnosticPartition: 0x4,
  CdDvd: 0x5,
  BiosSetup: 0x6,
  RemoteFloppy: 0x7,
  RemoteCdDvd: 0x8,
  PrimaryRemoteMedia: 0x9,
  RemoteDisk: 0xb,
  Floppy: 0xf,
} as const;

/** Boot flags data 1 (§28.13 parameter 5): bit 7 valid, bit 6 persistent, bit 5 EFI. */
const FLAG_VALID = 0x80;
const FLAG_PERSISTENT = 0x40;
const FLAG_EFI = 0x20;

export interface BootFlags {
  /** Bit 7 of data 1: the BMC will act on these flags at the next boot. */
  readonly valid: boolean;
  readonly persistent: boolean;
  readonly efi: boolean;
  readonly device: number;
  /** Data 1–5 exactly as sent or read, so unrelated bits survive a rewrite. */
  readonly raw: Buffer;
}

export function encodeBootFlags(f: { persistent: boolean; efi: boolean; device: number; base?: Uint8Array }): Buffer {
  const raw = Buffer.alloc(5);
  if (f.base) Buffer.from(f.base).copy(raw, 0, 0, 5);
  raw[0] = FLAG_VALID | (f.persistent ? FLAG_PERSISTENT : 0) | (f.efi ? FLAG_EFI : 0) | ((raw[0] ?? 0) & 0x1f);
  raw[1] = ((raw[1] ?? 0) & 0xc3) | ((f.device & 0x0f) << 2);
  return raw;
}

export function decodeBootFlags(raw: Buffer): BootFlags {
  need(raw, 5, "boot flags");
  const d1 = raw[0] ?? 0;
  return {
    valid: (d1 & FLAG_VALID) !== 0,
    persistent: (d1 & FLAG_PERSISTENT) !== 0,
    efi: (d1 & FLAG_EFI) !== 0,
    device: ((raw[1] ?? 0) >> 2) & 0x0f,
    raw: Buffer.from(raw.subarray(0, 5)),
  };
}

/** Set System Boot Options, §28.12 Table 28-13: parameter selector (bit 7 = 0: keep it unlocked), then data. */
export function setSystemBootOption(parameter: number, data: Uint8Array): IpmiCommand<void> {
  return {
    name: "Set System Boot Options",
    netFn: NetFn.Chassis,
    cmd: 0x08,
    data: Buffer.concat([Uint8Array.of(parameter & 0x7f), data]),
    decode: () => undefined,
  };
}

export interface BootOptionValue {
  /** Byte 2 bit 7: "parameter marked invalid / locked" (§28.13 Table 28-14). */
  readonly invalidOrLocked: boolean;
  readonly data: Buffer;
}

/** Get System Boot Options, §28.13 Table 28-14: selector, set selector 0, block selector 0. */
export function getSystemBootOption(parameter: number): IpmiCommand<BootOptionValue> {
  return {
    name: "Get System Boot Options",
    netFn: NetFn.Chassis,
    cmd: 0x09,
    data: Uint8Array.of(parameter & 0x7f, 0, 0),
    decode(d) {
      need(d, 2, "Get System Boot Options response");
      // Byte 1 is the parameter version, 1 since IPMI v1.5 (§28.13).
      if (((d[1] ?? 0) & 0x7f) !== parameter) {
        throw new IpmiDecodeError(`asked boot parameter ${parameter}, got ${(d[1] ?? 0) & 0x7f}`);
      }
      return { invalidOrLocked: ((d[1] ?? 0) & 0x80) !== 0, data: Buffer.from(d.subarray(2)) };
    },
  };
}
