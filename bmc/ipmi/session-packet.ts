/**
 * IPMI session wrappers inside RMCP (IPMI v2.0 §13.6 Table 13-8): the v1.5
 * header for the one sessionless request Anvil sends (Get Channel
 * Authentication Capabilities), and the v2.0 / RMCP+ header with its session
 * trailer (§13.28 integrity) and encrypted payloads (§13.29).
 */
import { timingSafeEqual } from "node:crypto";
import { decryptPayload, encryptPayload } from "./aes-cbc.js";
import { IpmiDecodeError, need } from "./decode-error.js";
import { hmac, type SessionKeys } from "./keys.js";
import { decodeRmcpHeader, encodeRmcpHeader, RmcpClass } from "./rmcp.js";

/** Authentication Type / Format byte (§13.6 Table 13-8): 0 = none (v1.5), 6 = RMCP+. */
export const AUTH_TYPE_NONE = 0x00;
export const AUTH_TYPE_RMCP_PLUS = 0x06;

/** Payload types, §13.27.3 Table 13-16. */
export const PayloadType = {
  Ipmi: 0x00,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

const PAYLOAD_ENCRYPTED = 0x80;
const PAYLOAD_AUTHENTICATED = 0x40;
/** "Next Header" of the session trailer, always 0x07 (§13.28 Table 13-8 note). */
const NEXT_HEADER = 0x07;
/** v2.0 header from auth type to payload length: 1+1+4+4+2 bytes (§13.6). */
const V20_HEADER_LENGTH = 12;

/** v1.5 session header without authentication: type 0, sequence 0, session ID 0, length (§13.6). */
export function encodeV15Packet(message: Uint8Array): Buffer {
  const head = Buffer.alloc(10);
  head[0] = AUTH_TYPE_NONE;
  head[9] = message.length;
  return Buffer.concat([encodeRmcpHeader(RmcpClass.Ipmi), head, message]);
}

export interface V20Packet {
  readonly payloadType: number;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Buffer;
}

export interface DecodedPacket {
  readonly format: "v1.5" | "v2.0";
  readonly payloadType: number;
  readonly sessionId: number;
  readonly sequence: number;
  readonly authenticated: boolean;
  readonly payload: Buffer;
}

export interface EncodeV20Options {
  readonly payloadType: PayloadType;
  /** The receiver's session ID: the BMC's "managed system session ID", 0 before activation. */
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Uint8Array;
  /** With keys, the payload is encrypted (AES-CBC-128) and the packet authenticated. */
  readonly keys?: SessionKeys;
  /** Fixed AES IV, for tests with known vectors; otherwise random per packet (§13.29). */
  readonly iv?: Uint8Array;
}

export function encodeV20Packet(o: EncodeV20Options): Buffer {
  const payload = o.keys ? encryptPayload(o.keys.aesKey, o.payload, o.iv) : Buffer.from(o.payload);
  const head = Buffer.alloc(V20_HEADER_LENGTH);
  head[0] = AUTH_TYPE_RMCP_PLUS;
  head[1] = o.payloadType | (o.keys ? PAYLOAD_ENCRYPTED | PAYLOAD_AUTHENTICATED : 0);
  head.writeUInt32LE(o.sessionId >>> 0, 2);
  head.writeUInt32LE(o.sequence >>> 0, 6);
  head.writeUInt16LE(payload.length, 10);
  if (!o.keys) return Buffer.concat([encodeRmcpHeader(RmcpClass.Ipmi), head, payload]);
  // Integrity pad (0xFF) makes auth type .. next header a multiple of 4 bytes (§13.28, Table 13-8).
  const padLength = (4 - ((V20_HEADER_LENGTH + payload.length + 2) % 4)) % 4;
  const covered = Buffer.concat([head, payload, Buffer.alloc(padLength, 0xff), Buffer.from([padLength, NEXT_HEADER])]);
  const authCode = integrityCode(o.keys, covered);
  return Buffer.concat([encodeRmcpHeader(RmcpClass.Ipmi), covered, authCode]);
}

/** AuthCode = HMAC_K1(auth type .. next header), truncated per algorithm (§13.28.4). */
export function integrityCode(keys: SessionKeys, covered: Uint8Array): Buffer {
  return hmac(keys.suite.hash, keys.k1, covered).subarray(0, keys.suite.integrityLength);
}

/**
 * Decodes either wrapper. Authenticated v2.0 packets need `keys`: their
 * AuthCode is checked and an encrypted payload decrypted; a packet that
 * fails either check is not from our session and throws.
 */
export function decodePacket(buf: Buffer, keys?: SessionKeys): DecodedPacket {
  const { cls, body } = decodeRmcpHeader(buf);
  if (cls !== RmcpClass.Ipmi) throw new IpmiDecodeError("not an IPMI RMCP message");
  need(body, 1, "session header");
  const authType = body[0] ?? 0;
  if (authType === AUTH_TYPE_RMCP_PLUS) return decodeV20(body, keys);
  if (authType !== AUTH_TYPE_NONE) throw new IpmiDecodeError(`v1.5 authentication type ${authType} is not spoken`);
  need(body, 10, "IPMI v1.5 session header");
  const length = body[9] ?? 0;
  need(body, 10 + length, "IPMI v1.5 payload");
  return {
    format: "v1.5",
    payloadType: PayloadType.Ipmi,
    sessionId: body.readUInt32LE(5),
    sequence: body.readUInt32LE(1),
    authenticated: false,
    payload: Buffer.from(body.subarray(10, 10 + length)),
  };
}

function decodeV20(body: Buffer, keys: SessionKeys | undefined): DecodedPacket {
  need(body, V20_HEADER_LENGTH, "RMCP+ session header");
  const typeByte = body[1] ?? 0;
  const payloadType = typeByte & 0x3f;
  const encrypted = (typeByte & PAYLOAD_ENCRYPTED) !== 0;
  const authenticated = (typeByte & PAYLOAD_AUTHENTICATED) !== 0;
  // OEM explicit payloads (type 2) carry 6 more header bytes (§13.6); Anvil never asks for them.
  if (payloadType === 0x02) throw new IpmiDecodeError("OEM explicit payload");
  const length = body.readUInt16LE(10);
  const end = V20_HEADER_LENGTH + length;
  need(body, end, "RMCP+ payload");
  let payload = body.subarray(V20_HEADER_LENGTH, end);
  if (authenticated) {
    if (!keys) throw new IpmiDecodeError("authenticated packet outside a session");
    const codeLength = keys.suite.integrityLength;
    need(body, end + 2 + codeLength, "RMCP+ session trailer");
    const covered = body.subarray(0, body.length - codeLength);
    const expected = integrityCode(keys, covered);
    const got = body.subarray(body.length - codeLength);
    if (!timingSafeEqual(expected, got)) throw new IpmiDecodeError("session trailer AuthCode mismatch");
    if (covered[covered.length - 1] !== NEXT_HEADER) throw new IpmiDecodeError("session trailer next header");
    const padLength = covered[covered.length - 2] ?? 0;
    if (end + padLength + 2 !== covered.length) throw new IpmiDecodeError("session trailer integrity pad length");
  } else if (keys && payloadType === PayloadType.Ipmi) {
    // Inside an authenticated session an unauthenticated IPMI payload could be forged by anyone (§13.28).
    throw new IpmiDecodeError("unauthenticated IPMI payload inside an integrity-protected session");
  }
  if (encrypted) {
    if (!keys) throw new IpmiDecodeError("encrypted packet outside a session");
    payload = decryptPayload(keys.aesKey, payload);
  }
  return {
    format: "v2.0",
    payloadType,
    sessionId: body.readUInt32LE(2),
    sequence: body.readUInt32LE(6),
    authenticated,
    payload: Buffer.from(payload),
  };
}
