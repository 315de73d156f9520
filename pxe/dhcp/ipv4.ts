/** IPv4 dotted-quad helpers over unsigned 32-bit numbers. */

/** The address as an unsigned 32-bit number; `undefined` when it is not a dotted quad. */
export function parseIpv4(ip: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return n * 256 + octet;
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
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}

/** Writes `ip` at `offset` of `buf`; throws on a malformed address (a configuration bug). */
export function writeIpv4(buf: Buffer, ip: string, offset: number): void {
  const n = parseIpv4(ip);
  if (n === undefined) throw new TypeError(`not an IPv4 address: ${ip}`);
  buf.writeUInt32BE(n, offset);
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
