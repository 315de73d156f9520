/**
 * RMCP+ session establishment messages: Open Session Request/Response
 * (IPMI v2.0 §13.17–13.18) and RAKP Messages 1–4 (§13.20–13.23), with the
 * key exchange authentication codes each side proves itself with (§13.31).
 */
import { IpmiDecodeError, need } from "./decode-error.js";
import type { CipherSuite } from "./cipher-suite.js";
import { hmac } from "./keys.js";

/** Bytes 5–8 of the responses; error answers may stop after the status byte. */
function consoleIdOf(buf: Buffer): number {
  if (buf.length >= 8) return buf.readUInt32LE(4);
  if ((buf[1] ?? 0) === 0) throw new IpmiDecodeError(`RMCP+ response of ${buf.length} bytes`);
  return 0;
}

/** One algorithm proposal: payload type, reserved, length 8, algorithm, reserved (§13.17 Table 13-9). */
function algorithmPayload(kind: 0 | 1 | 2, algorithm: number): Buffer {
  return Buffer.from([kind, 0, 0, 0x08, algorithm & 0x3f, 0, 0, 0]);
}

export interface OpenSessionRequest {
  readonly tag: number;
  /** Requested maximum privilege (§13.17): 0 asks for the highest the proposal allows. */
  readonly privilege: number;
  readonly consoleSessionId: number;
  readonly suite: CipherSuite;
}

/** §13.17 Table 13-9: tag, privilege, 2 reserved, console session ID, auth/integrity/confidentiality proposals. */
export function encodeOpenSessionRequest(r: OpenSessionRequest): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.privilege & 0x0f;
  head.writeUInt32LE(r.consoleSessionId >>> 0, 4);
  return Buffer.concat([
    head,
    algorithmPayload(0, r.suite.authAlgorithm),
    algorithmPayload(1, r.suite.integrityAlgorithm),
    algorithmPayload(2, r.suite.confidentialityAlgorithm),
  ]);
}

export interface OpenSessionResponse {
  readonly tag: number;
  /** RMCP+ status code, §13.24 Table 13-15. */
  readonly status: number;
  readonly privilege: number;
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly authAlgorithm: number;
  readonly integrityAlgorithm: number;
  readonly confidentialityAlgorithm: number;
}

/** §13.18 Table 13-10. With a non-zero status BMCs send as little as tag and status (OpenIPMI does). */
export function decodeOpenSessionResponse(buf: Buffer): OpenSessionResponse {
  need(buf, 2, "Open Session Response");
  const status = buf[1] ?? 0;
  const short = { tag: buf[0] ?? 0, status, privilege: buf[2] ?? 0, consoleSessionId: consoleIdOf(buf) };
  if (status !== 0) return { ...short, bmcSessionId: 0, authAlgorithm: 0, integrityAlgorithm: 0, confidentialityAlgorithm: 0 };
  need(buf, 36, "Open Session Response");
  return {
    ...short,
    bmcSessionId: buf.readUInt32LE(8),
    authAlgorithm: (buf[16] ?? 0) & 0x3f,
    integrityAlgorithm: (buf[24] ?? 0) & 0x3f,
    confidentialityAlgorithm: (buf[32] ?? 0) & 0x3f,
  };
}

/** RAKP 1 role byte bit 4: 1 = name-only lookup, 0 = username/privilege lookup (§13.20 Table 13-11). */
export const NAME_ONLY_LOOKUP = 0x10;

export interface Rakp1 {
  readonly tag: number;
  readonly bmcSessionId: number;
  /** Rm, 16 random bytes. */
  readonly consoleRandom: Uint8Array;
  /** Requested maximum privilege, with NAME_ONLY_LOOKUP when set. */
  readonly role: number;
  /** At most 16 bytes (§13.20). */
  readonly username: Uint8Array;
}

/** §13.20 Table 13-11: tag, 3 reserved, BMC session ID, Rm, role, 2 reserved, name length, name. */
export function encodeRakp1(r: Rakp1): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head.writeUInt32LE(r.bmcSessionId >>> 0, 4);
  return Buffer.concat([head, r.consoleRandom, Buffer.from([r.role, 0, 0, r.username.length]), r.username]);
}

export interface Rakp2 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  /** Rc, 16 bytes. */
  readonly bmcRandom: Buffer;
  /** GUIDc, 16 bytes. */
  readonly bmcGuid: Buffer;
  readonly authCode: Buffer;
}

/** §13.21 Table 13-12: tag, status, 2 reserved, console session ID, Rc, GUIDc, key exchange auth code. */
export function decodeRakp2(buf: Buffer, suite: CipherSuite): Rakp2 {
  need(buf, 2, "RAKP 2");
  const status = buf[1] ?? 0;
  const base = { tag: buf[0] ?? 0, status, consoleSessionId: consoleIdOf(buf) };
  if (status !== 0) return { ...base, bmcRandom: Buffer.alloc(0), bmcGuid: Buffer.alloc(0), authCode: Buffer.alloc(0) };
  need(buf, 40 + suite.rakpAuthCodeLength, "RAKP 2");
  if (buf.length !== 40 + suite.rakpAuthCodeLength) throw new IpmiDecodeError(`RAKP 2 of ${buf.length} bytes`);
  return {
    ...base,
    bmcRandom: Buffer.from(buf.subarray(8, 24)),
    bmcGuid: Buffer.from(buf.subarray(24, 40)),
    authCode: Buffer.from(buf.subarray(40)),
  };
}

export interface KeyExchangeInputs {
  readonly consoleSessionId: number;
  readonly bmcSessionId: number;
  readonly consoleRandom: Uint8Array;
  readonly bmcRandom: Uint8Array;
  readonly bmcGuid: Uint8Array;
  readonly role: number;
  readonly username: Uint8Array;
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** RAKP 2 auth code = HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm) (§13.31). */
export function rakp2AuthCode(suite: CipherSuite, kuid: Uint8Array, i: KeyExchangeInputs): Buffer {
  return hmac(
    suite.hash,
    kuid,
    u32le(i.consoleSessionId),
    u32le(i.bmcSessionId),
    i.consoleRandom,
    i.bmcRandom,
    i.bmcGuid,
    Uint8Array.of(i.role, i.username.length),
    i.username,
  );
}

/** RAKP 3 auth code = HMAC_Kuid(Rc | SIDm | ROLEm | ULENGTHm | UNAMEm) (§13.31). */
export function rakp3AuthCode(suite: CipherSuite, kuid: Uint8Array, i: KeyExchangeInputs): Buffer {
  return hmac(suite.hash, kuid, i.bmcRandom, u32le(i.consoleSessionId), Uint8Array.of(i.role, i.username.length), i.username);
}

/** RAKP 4 ICV = HMAC_SIK(Rm | SIDc | GUIDc), truncated (§13.31, §13.23). */
export function rakp4Icv(suite: CipherSuite, sik: Uint8Array, i: KeyExchangeInputs): Buffer {
  return hmac(suite.hash, sik, i.consoleRandom, u32le(i.bmcSessionId), i.bmcGuid).subarray(0, suite.rakp4IcvLength);
}

/** §13.22 Table 13-13: tag, status, 2 reserved, BMC session ID, auth code. */
export function encodeRakp3(tag: number, status: number, bmcSessionId: number, authCode: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head[0] = tag;
  head[1] = status;
  head.writeUInt32LE(bmcSessionId >>> 0, 4);
  return Buffer.concat([head, authCode]);
}

export interface Rakp4 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly icv: Buffer;
}

/** §13.23 Table 13-14: tag, status, 2 reserved, console session ID, integrity check value. */
export function decodeRakp4(buf: Buffer, suite: CipherSuite): Rakp4 {
  need(buf, 2, "RAKP 4");
  const status = buf[1] ?? 0;
  const base = { tag: buf[0] ?? 0, status, consoleSessionId: consoleIdOf(buf) };
  if (status !== 0) return { ...base, icv: Buffer.alloc(0) };
  need(buf, 8 + suite.rakp4IcvLength, "RAKP 4");
  return { ...base, icv: Buffer.from(buf.subarray(8, 8 + suite.rakp4IcvLength)) };
}
