/**
 * Strict DHCP decoder. Anything that does not follow RFC 2131/2132 closely
 * enough to be answered safely throws a DhcpDecodeError; the caller counts
 * and drops it.
 */
import { DhcpDecodeError } from "./errors.js";
import { readIpv4 } from "./ipv4.js";
import { isMessageType, Opt } from "./options.js";
import {
  BOOTREPLY,
  BOOTREQUEST,
  CHADDR_OFFSET,
  FILE_LENGTH,
  FILE_OFFSET,
  MAGIC_COOKIE,
  OPTIONS_OFFSET,
  SNAME_LENGTH,
  SNAME_OFFSET,
  type DhcpPacket,
} from "./packet.js";

/** Option lengths fixed or bounded by their RFC; a value outside is malformed. */
const LENGTH_RULES: ReadonlyMap<number, (len: number) => boolean> = new Map([
  [Opt.SubnetMask, (n) => n === 4], // RFC 2132 §3.3
  [Opt.RequestedIp, (n) => n === 4], // RFC 2132 §9.1
  [Opt.LeaseTime, (n) => n === 4], // RFC 2132 §9.2
  [Opt.Overload, (n) => n === 1], // RFC 2132 §9.3
  [Opt.MessageType, (n) => n === 1], // RFC 2132 §9.6
  [Opt.ServerId, (n) => n === 4], // RFC 2132 §9.7
  [Opt.ParameterRequestList, (n) => n >= 1], // RFC 2132 §9.8
  [Opt.MaxMessageSize, (n) => n === 2], // RFC 2132 §9.10
  [Opt.VendorClassId, (n) => n >= 1], // RFC 2132 §9.13
  [Opt.ClientId, (n) => n >= 2], // RFC 2132 §9.14
  [Opt.ClientArch, (n) => n >= 2 && n % 2 === 0], // RFC 4578 §2.1: a list of 16-bit types
  [Opt.ClientNdi, (n) => n === 3], // RFC 4578 §2.2
  [Opt.ClientUuid, (n) => n === 17], // RFC 4578 §2.3: type 0 + 16 octets
]);

type Field = "options" | "file" | "sname";

/**
 * Reads the options of one field into `into`, concatenating repeated codes
 * (RFC 3396). The options field must end with option 255 (RFC 2131 §4.1);
 * in an overloaded `file`/`sname` the field's end also ends them.
 */
function readOptions(buf: Buffer, start: number, end: number, field: Field, into: Map<number, Buffer>): void {
  let i = start;
  while (i < end) {
    const code = buf[i]!;
    if (code === Opt.Pad) {
      i += 1;
      continue;
    }
    if (code === Opt.End) return;
    if (i + 1 >= end) throw new DhcpDecodeError("DHCP_TRUNCATED_OPTION", `option ${code} in ${field} has no length`);
    const len = buf[i + 1]!;
    if (i + 2 + len > end) throw new DhcpDecodeError("DHCP_TRUNCATED_OPTION", `option ${code} in ${field} runs past the field`);
    // RFC 2132 §9.3: option 52 is valid only in the options field; elsewhere it would make the fields loop.
    if (code === Opt.Overload && field !== "options") {
      throw new DhcpDecodeError("DHCP_BAD_OVERLOAD", `option 52 inside ${field}`);
    }
    const value = buf.subarray(i + 2, i + 2 + len);
    const seen = into.get(code);
    into.set(code, seen ? Buffer.concat([seen, value]) : value);
    i += 2 + len;
  }
  if (field === "options") throw new DhcpDecodeError("DHCP_MISSING_END", "options field has no end option (255)");
}

function cString(buf: Buffer, start: number, length: number): string {
  if (buf[start] === 0) return "";
  const field = buf.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString("latin1");
}

export function decodeDhcp(buf: Buffer): DhcpPacket {
  // RFC 2131 §2: 236 fixed octets, then the 4-octet magic cookie that makes it DHCP rather than BOOTP.
  if (buf.length < OPTIONS_OFFSET + 1) throw new DhcpDecodeError("DHCP_TOO_SHORT", `${buf.length} octets`);
  const op = buf[0]!;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) throw new DhcpDecodeError("DHCP_BAD_OP", `op ${op}`);
  const hlen = buf[2]!;
  if (hlen > 16) throw new DhcpDecodeError("DHCP_BAD_HLEN", `hlen ${hlen}`);
  if (buf.readUInt32BE(236) !== MAGIC_COOKIE) throw new DhcpDecodeError("DHCP_BAD_COOKIE", "not a DHCP magic cookie");

  const options = new Map<number, Buffer>();
  readOptions(buf, OPTIONS_OFFSET, buf.length, "options", options);
  const overloadRaw = options.get(Opt.Overload);
  let overload = 0;
  if (overloadRaw) {
    // RFC 2132 §9.3: 1 = file, 2 = sname, 3 = both; one instance only (two concatenate to length 2).
    const v = overloadRaw.length === 1 ? overloadRaw[0]! : 0;
    if (v < 1 || v > 3) throw new DhcpDecodeError("DHCP_BAD_OVERLOAD", "option 52 must be one octet 1, 2 or 3");
    overload = v;
  }
  // RFC 3396: the aggregate buffer is the options field, then 'file', then 'sname'.
  if (overload & 1) readOptions(buf, FILE_OFFSET, FILE_OFFSET + FILE_LENGTH, "file", options);
  if (overload & 2) readOptions(buf, SNAME_OFFSET, SNAME_OFFSET + SNAME_LENGTH, "sname", options);

  for (const [code, value] of options) {
    const rule = LENGTH_RULES.get(code);
    if (rule && !rule(value.length)) {
      throw new DhcpDecodeError("DHCP_BAD_OPTION_LENGTH", `option ${code} has length ${value.length}`);
    }
  }
  const type = options.get(Opt.MessageType);
  // Without option 53 it is a BOOTP message, which Anvil does not serve (RFC 2131 §1.3 keeps BOOTP separate).
  if (!type || !isMessageType(type[0]!)) throw new DhcpDecodeError("DHCP_NO_MESSAGE_TYPE", "missing or unknown option 53");

  return {
    op,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: readIpv4(buf, 12),
    yiaddr: readIpv4(buf, 16),
    siaddr: readIpv4(buf, 20),
    giaddr: readIpv4(buf, 24),
    chaddr: Buffer.from(buf.subarray(CHADDR_OFFSET, CHADDR_OFFSET + hlen)),
    sname: overload & 2 ? "" : cString(buf, SNAME_OFFSET, SNAME_LENGTH),
    file: overload & 1 ? "" : cString(buf, FILE_OFFSET, FILE_LENGTH),
    options,
  };
}

/** The message type (option 53) of a decoded packet; decode guarantees it. */
export function messageTypeOf(p: DhcpPacket): number {
  return p.options.get(Opt.MessageType)![0]!;
}
