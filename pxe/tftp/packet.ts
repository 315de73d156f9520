/**
 * TFTP packet codec (RFC 1350 §5, options per RFC 2347 §2). Pure functions:
 * `decodePacket` never throws; anything that is not a well-formed packet comes
 * back as `{ ok: false, reason }` so the server can drop and count it.
 */

/** RFC 1350 §5 opcodes, plus OACK from RFC 2347 §2. */
export const Opcode = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 1350 appendix "Error Codes", plus 8 from RFC 2347 §2. */
export const TftpErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionNegotiationFailed: 8,
} as const;
export type TftpErrorCode = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

export type TransferMode = "octet" | "netascii";

export interface RequestPacket {
  readonly op: typeof Opcode.RRQ | typeof Opcode.WRQ;
  readonly filename: string;
  readonly mode: string;
  /** Option names lower-cased (RFC 2347 §2: names are case-insensitive); the first occurrence wins. */
  readonly options: ReadonlyMap<string, string>;
}
export interface DataPacket {
  readonly op: typeof Opcode.DATA;
  readonly block: number;
  readonly data: Buffer;
}
export interface AckPacket {
  readonly op: typeof Opcode.ACK;
  readonly block: number;
}
export interface ErrorPacket {
  readonly op: typeof Opcode.ERROR;
  readonly code: number;
  readonly message: string;
}
export interface OackPacket {
  readonly op: typeof Opcode.OACK;
  readonly options: ReadonlyMap<string, string>;
}
export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

export type DecodeResult = { readonly ok: true; readonly packet: TftpPacket } | { readonly ok: false; readonly reason: MalformedReason };

export type MalformedReason =
  | "too-short"
  | "bad-opcode"
  | "unterminated-string"
  | "empty-filename"
  | "odd-options"
  | "bad-length"
  | "non-ascii";

/** Splits NUL-terminated strings (RFC 1350 §5: "netascii string ... terminated by a zero byte"). */
function readStrings(buf: Buffer, start: number): string[] | undefined {
  const out: string[] = [];
  let pos = start;
  while (pos < buf.length) {
    const end = buf.indexOf(0, pos);
    if (end < 0) return undefined;
    out.push(buf.toString("latin1", pos, end));
    pos = end + 1;
  }
  return out;
}

function hasControlOrHighBytes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

function decodeRequest(op: typeof Opcode.RRQ | typeof Opcode.WRQ, buf: Buffer): DecodeResult {
  const strings = readStrings(buf, 2);
  if (strings === undefined) return { ok: false, reason: "unterminated-string" };
  const [filename, mode, ...rest] = strings;
  if (filename === undefined || mode === undefined) return { ok: false, reason: "unterminated-string" };
  if (filename.length === 0) return { ok: false, reason: "empty-filename" };
  if (hasControlOrHighBytes(filename) || hasControlOrHighBytes(mode)) return { ok: false, reason: "non-ascii" };
  // RFC 2347 §2: options come as name/value pairs; some clients pad with one trailing NUL.
  const pairs = rest.length % 2 === 1 && rest[rest.length - 1] === "" ? rest.slice(0, -1) : rest;
  if (pairs.length % 2 !== 0) return { ok: false, reason: "odd-options" };
  const options = new Map<string, string>();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    if (!options.has(name)) options.set(name, pairs[i + 1]!);
  }
  return { ok: true, packet: { op, filename, mode: mode.toLowerCase(), options } };
}

export function decodePacket(buf: Buffer): DecodeResult {
  if (buf.length < 4) return { ok: false, reason: "too-short" };
  const op = buf.readUInt16BE(0);
  switch (op) {
    case Opcode.RRQ:
    case Opcode.WRQ:
      return decodeRequest(op, buf);
    case Opcode.DATA:
      return { ok: true, packet: { op, block: buf.readUInt16BE(2), data: buf.subarray(4) } };
    case Opcode.ACK:
      // RFC 1350 §5: an ACK is exactly opcode + block number.
      if (buf.length !== 4) return { ok: false, reason: "bad-length" };
      return { ok: true, packet: { op, block: buf.readUInt16BE(2) } };
    case Opcode.ERROR: {
      const end = buf.indexOf(0, 4);
      const message = buf.toString("latin1", 4, end < 0 ? buf.length : end);
      return { ok: true, packet: { op, code: buf.readUInt16BE(2), message } };
    }
    case Opcode.OACK: {
      const strings = readStrings(buf, 2);
      if (strings === undefined || strings.length % 2 !== 0) return { ok: false, reason: "odd-options" };
      const options = new Map<string, string>();
      for (let i = 0; i < strings.length; i += 2) options.set(strings[i]!.toLowerCase(), strings[i + 1]!);
      return { ok: true, packet: { op, options } };
    }
    default:
      return { ok: false, reason: "bad-opcode" };
  }
}

/** DATA header + payload (RFC 1350 §5); block numbers are taken mod 2^16 (rollover). */
export function encodeData(block: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  out.writeUInt16BE(Opcode.DATA, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  data.copy(out, 4);
  return out;
}

/** The 4-byte DATA header alone, for sending beside a payload view without copying it. */
export function dataHeader(block: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(Opcode.DATA, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

export function encodeAck(block: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(Opcode.ACK, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

export function encodeError(code: TftpErrorCode, message: string): Buffer {
  return Buffer.concat([u16(Opcode.ERROR), u16(code), Buffer.from(message, "latin1"), Buffer.of(0)]);
}

/** RFC 2347 §2 OACK: opcode 6 followed by the accepted name/value pairs. */
/** One buffer, written in place: every transfer of a boot storm sends one. */
export function encodeOack(options: ReadonlyMap<string, string>): Buffer {
  let text = "";
  for (const [k, v] of options) text += `${k}\0${v}\0`;
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(Opcode.OACK, 0);
  out.write(text, 2, "latin1");
  return out;
}

export function encodeRequest(op: typeof Opcode.RRQ | typeof Opcode.WRQ, filename: string, mode: string, options: ReadonlyMap<string, string> = new Map()): Buffer {
  const parts: Buffer[] = [u16(op), Buffer.from(`${filename}\0${mode}\0`, "latin1")];
  for (const [k, v] of options) parts.push(Buffer.from(`${k}\0${v}\0`, "latin1"));
  return Buffer.concat(parts);
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}
