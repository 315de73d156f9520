/**
 * DHCP encoder: writes the BOOTP header and the options, splitting long
 * options into several instances (RFC 3396) and spilling into `file` and
 * `sname` with option 52 when the options field is full (RFC 2132 §9.3).
 */
import { DhcpEncodeError } from "./errors.js";
import { writeIpv4 } from "./ipv4.js";
import { Opt } from "./options.js";
import {
  CHADDR_OFFSET,
  FILE_LENGTH,
  FILE_OFFSET,
  MAGIC_COOKIE,
  OPTIONS_OFFSET,
  SNAME_LENGTH,
  SNAME_OFFSET,
  type DhcpMessage,
} from "./packet.js";

/** RFC 2131 §2: a client must accept a 312-octet options field, i.e. a 548-octet message (576-octet IP datagram). */
export const DEFAULT_MAX_MESSAGE = 548;
/** RFC 1542 §2.1: a BOOTP message is at least 300 octets; some relays and ROMs drop shorter ones. */
const MIN_MESSAGE = 300;

/** One TLV instance: at most 255 octets of an option's value (RFC 3396). */
interface Tlv {
  readonly code: number;
  readonly value: Buffer;
  readonly length: number;
}

function instances(options: ReadonlyMap<number, Buffer>): Tlv[] {
  const out: Tlv[] = [];
  for (const [code, value] of options) {
    if (code === Opt.Pad || code === Opt.End || code === Opt.Overload) continue;
    if (code < 0 || code > 255) throw new DhcpEncodeError("DHCP_BAD_FIELD", `option code ${code}`);
    if (value.length <= 255) {
      out.push({ code, value, length: value.length + 2 });
      continue;
    }
    for (let off = 0; off < value.length; off += 255) {
      const chunk = value.subarray(off, off + 255);
      out.push({ code, value: chunk, length: chunk.length + 2 });
    }
  }
  return out;
}

function writeTlv(buf: Buffer, t: Tlv, pos: number): number {
  buf[pos] = t.code;
  buf[pos + 1] = t.value.length;
  t.value.copy(buf, pos + 2);
  return t.length;
}

interface Area {
  readonly start: number;
  readonly end: number;
  pos: number;
}

function writeFixedString(buf: Buffer, s: string, offset: number, length: number, field: string): void {
  if (s === "") return;
  const bytes = Buffer.from(s, "latin1");
  // Leave room for the terminating NUL that clients read these C strings with.
  if (bytes.length >= length) throw new DhcpEncodeError("DHCP_BAD_FIELD", `${field} is ${bytes.length} octets, at most ${length - 1}`);
  bytes.copy(buf, offset);
}

/**
 * Encodes `msg` into at most `maxMessage` octets. `maxMessage` comes from the
 * client's option 57 when it sent one (see `replyLimit`).
 */
export function encodeDhcp(msg: DhcpMessage, maxMessage = DEFAULT_MAX_MESSAGE): Buffer {
  if (msg.chaddr.length > 16) throw new DhcpEncodeError("DHCP_BAD_FIELD", "chaddr longer than 16 octets");
  const limit = Math.max(maxMessage, DEFAULT_MAX_MESSAGE);
  const tlvs = instances(msg.options);
  const needed = tlvs.reduce((n, t) => n + t.length, 0);

  const buf = Buffer.alloc(Math.max(limit, MIN_MESSAGE));
  buf[0] = msg.op;
  buf[1] = msg.htype;
  buf[2] = msg.hlen;
  buf[3] = msg.hops;
  buf.writeUInt32BE(msg.xid >>> 0, 4);
  buf.writeUInt16BE(msg.secs, 8);
  buf.writeUInt16BE(msg.flags, 10);
  writeIpv4(buf, msg.ciaddr, 12);
  writeIpv4(buf, msg.yiaddr, 16);
  writeIpv4(buf, msg.siaddr, 20);
  writeIpv4(buf, msg.giaddr, 24);
  msg.chaddr.copy(buf, CHADDR_OFFSET);
  writeFixedString(buf, msg.sname, SNAME_OFFSET, SNAME_LENGTH, "sname");
  writeFixedString(buf, msg.file, FILE_OFFSET, FILE_LENGTH, "file");
  buf.writeUInt32BE(MAGIC_COOKIE, 236);

  const optionsSpace = limit - OPTIONS_OFFSET - 1;
  if (needed <= optionsSpace) {
    let pos = OPTIONS_OFFSET;
    for (const t of tlvs) pos += writeTlv(buf, t, pos);
    buf[pos++] = Opt.End;
    return buf.subarray(0, Math.max(pos, MIN_MESSAGE));
  }

  // RFC 2132 §9.3: overload only fields the message does not use itself.
  const overloadFile = msg.file === "";
  const overloadSname = msg.sname === "";
  const overload = (overloadFile ? 1 : 0) | (overloadSname ? 2 : 0);
  if (overload === 0) throw new DhcpEncodeError("DHCP_REPLY_TOO_LARGE", `${needed} octets of options do not fit in ${optionsSpace}`);
  // RFC 3396: fill in the order the client reassembles — options, file, sname.
  const areas: Area[] = [{ start: OPTIONS_OFFSET + 3, end: limit - 1, pos: OPTIONS_OFFSET + 3 }];
  if (overloadFile) areas.push({ start: FILE_OFFSET, end: FILE_OFFSET + FILE_LENGTH - 1, pos: FILE_OFFSET });
  if (overloadSname) areas.push({ start: SNAME_OFFSET, end: SNAME_OFFSET + SNAME_LENGTH - 1, pos: SNAME_OFFSET });
  buf[OPTIONS_OFFSET] = Opt.Overload;
  buf[OPTIONS_OFFSET + 1] = 1;
  buf[OPTIONS_OFFSET + 2] = overload;
  let a = 0;
  for (const t of tlvs) {
    while (a < areas.length && areas[a]!.pos + t.length > areas[a]!.end) a++;
    const area = areas[a];
    if (!area) throw new DhcpEncodeError("DHCP_REPLY_TOO_LARGE", `${needed} octets of options do not fit with overload`);
    area.pos += writeTlv(buf, t, area.pos);
  }
  // Each field's options end with option 255; the rest stays zero (pad).
  for (const area of areas) buf[area.pos] = Opt.End;
  const used = areas[0]!.pos + 1;
  return buf.subarray(0, Math.max(used, MIN_MESSAGE));
}

/**
 * The largest reply the client accepts. RFC 2132 §9.10 calls option 57 the
 * maximum DHCP message length; some clients count the IP and UDP headers in
 * it, so 28 octets are kept back, and never less than RFC 2131's 548.
 */
export function replyLimit(maxMessageOption: Buffer | undefined): number {
  if (!maxMessageOption || maxMessageOption.length !== 2) return DEFAULT_MAX_MESSAGE;
  return Math.min(Math.max(maxMessageOption.readUInt16BE(0) - 28, DEFAULT_MAX_MESSAGE), 1472);
}
