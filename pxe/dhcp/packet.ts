/**
 * The DHCP message (RFC 2131 §2, Figure 1): a fixed BOOTP header, the magic
 * cookie and the options. Options are held concatenated per RFC 3396 — one
 * entry per code, whatever the number of instances on the wire.
 */
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;

/** RFC 2131 §2: op..file is 236 octets; the options field starts with the 4-octet cookie. */
export const FIXED_HEADER_LENGTH = 236;
export const OPTIONS_OFFSET = 240;
/** RFC 2131 §3 "99.130.83.99". */
export const MAGIC_COOKIE = 0x63825363;
export const SNAME_OFFSET = 44;
export const SNAME_LENGTH = 64;
export const FILE_OFFSET = 108;
export const FILE_LENGTH = 128;
export const CHADDR_OFFSET = 28;
/** RFC 2131 §2 "flags": the leftmost bit asks for a broadcast reply. */
export const BROADCAST_FLAG = 0x8000;

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Client hardware address, `hlen` octets. */
  chaddr: Buffer;
  /** Server host name; empty when the field carries options (overload) or nothing. */
  sname: string;
  /** Boot file name; empty when the field carries options (overload) or nothing. */
  file: string;
  /** Option code → value, in the order they should be written. */
  options: Map<number, Buffer>;
}

/** A decoded request: the same shape, read-only. */
export type DhcpPacket = Readonly<Omit<DhcpMessage, "options">> & { readonly options: ReadonlyMap<number, Buffer> };

/** Lower-case colon MAC of an Ethernet chaddr. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function macOf(p: Pick<DhcpPacket, "chaddr">): string {
  const c = p.chaddr;
  return `${HEX[c[0] ?? 0]}:${HEX[c[1] ?? 0]}:${HEX[c[2] ?? 0]}:${HEX[c[3] ?? 0]}:${HEX[c[4] ?? 0]}:${HEX[c[5] ?? 0]}`;
}
