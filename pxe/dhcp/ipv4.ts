/** IPv4 dotted-quad helpers over unsigned 32-bit numbers. */

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an unsigned 32-bit number; `undefined` when it is not a dotted quad. */
export function parseIpv4(ip: string): number | undefined {
  const m = QUAD.exec(ip);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

export function readIpv4(buf: Uint8Array, offset: number): string {
  return `${buf[offset] ?? 0}.${buf[offset + 1] ?? 0}.${buf[offset + 2] ?? 0}.${buf[offset + 3] ?? 0}`;
}

/** Four bytes in network order; throws on a malformed address (a configuration bug, never packet input). */
export function ipv4Bytes(ip: string): Buffer {
  const n = parseIpv4(ip);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${ip}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export const ZERO_IP = "0.0.0.0";
export const BROADCAST_IP = "255.255.255.255";

/** Prefix length → mask number (`/24` → 0xffffff00). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Mask number → prefix length; `undefined` when the mask is not contiguous. */
export function maskPrefix(mask: number): number | undefined {
  for (let p = 0; p <= 32; p++) if (prefixMask(p) === mask) return p;
  return undefined;
}

export interface Subnet {
  readonly network: number;
  readonly mask: number;
}

/** Parses `10.0.0.0/24`; `undefined` on malformed input. */
export function parseCidr(cidr: string): Subnet | undefined {
  const [ip, len] = cidr.split("/");
  const addr = ip === undefined ? undefined : parseIpv4(ip);
  const prefix = Number(len);
  if (addr === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const mask = prefixMask(prefix);
  return { network: (addr & mask) >>> 0, mask };
}

export function inSubnet(ip: number, s: Subnet): boolean {
  return ((ip & s.mask) >>> 0) === s.network;
}
