/**
 * The IPMI message carried in a session payload: IPMB-style addressing with
 * two checksums (IPMI v2.0 §13.8 Figure 13-4 "IPMI LAN Message Formats").
 */
import { IpmiDecodeError, need } from "./decode-error.js";

/** Responder address of the BMC (§5.5 "Software IDs"; 0x20 is the BMC slave address). */
export const BMC_SLAVE_ADDRESS = 0x20;
/** Requester address: Software ID 0x40 of a remote console, shifted with bit 0 = 1 (§5.5 Table 5-4). */
export const REMOTE_CONSOLE_SWID = 0x81;

export const NetFn = { Chassis: 0x00, App: 0x06 } as const;
export type NetFn = (typeof NetFn)[keyof typeof NetFn];

/** Two's-complement checksum: all covered bytes plus the checksum sum to 0 mod 256 (§13.8). */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface LanRequest {
  readonly netFn: number;
  readonly cmd: number;
  /** 6-bit request sequence number the response echoes (§13.8). */
  readonly rqSeq: number;
  readonly data?: Uint8Array;
}

/** rsAddr, netFn/rsLUN, chk1, rqAddr, rqSeq/rqLUN, cmd, data, chk2 (§13.8). */
export function encodeLanRequest(req: LanRequest): Buffer {
  const data = req.data ?? new Uint8Array(0);
  const head = Buffer.from([BMC_SLAVE_ADDRESS, (req.netFn << 2) & 0xfc]);
  const body = Buffer.concat([Buffer.from([REMOTE_CONSOLE_SWID, (req.rqSeq << 2) & 0xfc, req.cmd]), data]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}

export interface LanResponse {
  readonly netFn: number;
  readonly cmd: number;
  readonly rqSeq: number;
  /** Completion code, §5.2 Table 5-2. */
  readonly completionCode: number;
  readonly data: Buffer;
}

/** rqAddr, netFn/rqLUN, chk1, rsAddr, rqSeq/rsLUN, cmd, completion code, data, chk2 (§13.8). */
export function decodeLanResponse(buf: Buffer): LanResponse {
  need(buf, 8, "IPMI LAN response");
  if (checksum(buf.subarray(0, 2)) !== buf[2]) throw new IpmiDecodeError("IPMI header checksum mismatch");
  const body = buf.subarray(3, buf.length - 1);
  if (checksum(body) !== buf[buf.length - 1]) throw new IpmiDecodeError("IPMI data checksum mismatch");
  return {
    netFn: (buf[1] ?? 0) >> 2,
    rqSeq: (buf[4] ?? 0) >> 2,
    cmd: buf[5] ?? 0,
    completionCode: buf[6] ?? 0,
    data: Buffer.from(buf.subarray(7, buf.length - 1)),
  };
}
