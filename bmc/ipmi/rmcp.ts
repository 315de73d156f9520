/**
 * RMCP framing (IPMI v2.0 §13.1.3, DMTF ASF 2.0 §3.2.2) and the ASF presence
 * ping/pong (IPMI v2.0 §13.2.3–13.2.4).
 */
import { IpmiDecodeError, need } from "./decode-error.js";

/** RMCP header byte 1: version 1.0 (§13.1.3 Table 13-1). */
export const RMCP_VERSION = 0x06;
/** Sequence number 0xFF: "do not send an RMCP ACK" (§13.1.3), as IPMI requires. */
export const RMCP_SEQ_NO_ACK = 0xff;

/** Class of message, byte 4 (§13.1.3 Table 13-1). */
export const RmcpClass = { Asf: 0x06, Ipmi: 0x07 } as const;
export type RmcpClass = (typeof RmcpClass)[keyof typeof RmcpClass];

export const RMCP_HEADER_LENGTH = 4;

export function encodeRmcpHeader(cls: RmcpClass): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_SEQ_NO_ACK, cls]);
}

export function decodeRmcpHeader(buf: Buffer): { cls: RmcpClass; body: Buffer } {
  need(buf, RMCP_HEADER_LENGTH, "RMCP header");
  if (buf[0] !== RMCP_VERSION) throw new IpmiDecodeError(`RMCP version 0x${hex(buf[0])}`);
  // Bit 7 of the class byte marks an RMCP ACK (§13.1.3); IPMI never asks for one.
  const cls = (buf[3] ?? 0) & 0x7f;
  if (cls !== RmcpClass.Asf && cls !== RmcpClass.Ipmi) throw new IpmiDecodeError(`RMCP class 0x${hex(cls)}`);
  return { cls, body: buf.subarray(RMCP_HEADER_LENGTH) };
}

/** The ASF IANA enterprise number 4542, big-endian (§13.2.3 Table 13-3). */
const ASF_IANA = 4542;
const ASF_PRESENCE_PING = 0x80;
const ASF_PRESENCE_PONG = 0x40;

/** Presence Ping, §13.2.3: IANA, type 0x80, tag, reserved, data length 0. */
export function encodeAsfPing(tag: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(ASF_IANA, 0);
  body[4] = ASF_PRESENCE_PING;
  body[5] = tag & 0xff;
  return Buffer.concat([encodeRmcpHeader(RmcpClass.Asf), body]);
}

export interface AsfPong {
  readonly tag: number;
  /** Supported Entities bit 7: "IPMI supported" (§13.2.4 Table 13-4). */
  readonly ipmiSupported: boolean;
}

/** Presence Pong, §13.2.4: 8-byte ASF header, then 16 data bytes. */
export function decodeAsfPong(buf: Buffer): AsfPong {
  const { cls, body } = decodeRmcpHeader(buf);
  if (cls !== RmcpClass.Asf) throw new IpmiDecodeError("not an ASF message");
  need(body, 8 + 16, "ASF presence pong");
  if (body.readUInt32BE(0) !== ASF_IANA) throw new IpmiDecodeError("ASF IANA mismatch");
  if (body[4] !== ASF_PRESENCE_PONG) throw new IpmiDecodeError(`ASF message type 0x${hex(body[4])}`);
  return { tag: body[5] ?? 0, ipmiSupported: ((body[8 + 8] ?? 0) & 0x80) !== 0 };
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, "0");
}
