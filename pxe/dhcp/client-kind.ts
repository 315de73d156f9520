/**
 * What kind of network-boot client sent a request, read from the options a
 * PXE ROM, UEFI firmware or iPXE puts in every DISCOVER and REQUEST.
 */
import { Opt } from "./options.js";
import type { DhcpPacket } from "./packet.js";

/** RFC 4578 §2.1 and the IANA "Processor Architecture Types" registry. */
export const Arch = {
  X86Bios: 0,
  EfiIa32: 6,
  EfiBc: 7,
  EfiX64: 9,
  EfiArm64: 11,
  EfiX64Http: 16,
  EfiArm64Http: 19,
} as const;

export interface ClientKind {
  /** Option 60 says `PXEClient` (PXE spec 2.1 §2.4.1) or `HTTPClient` (UEFI 2.x §24.7.2). */
  readonly vendorClass: "PXEClient" | "HTTPClient" | undefined;
  /** First entry of option 93; `undefined` when absent. */
  readonly arch: number | undefined;
  /** Option 94 (RFC 4578 §2.2): UNDI major.minor, when the client sent it. */
  readonly undi: { readonly major: number; readonly minor: number } | undefined;
  /** Option 97 (RFC 4578 §2.3) as sent, echoed in ProxyDHCP replies. */
  readonly uuid: Buffer | undefined;
  /** User classes from option 77, whether sent raw (iPXE) or RFC 3004 §4 length-prefixed. */
  readonly userClasses: readonly string[];
  /** iPXE identifies itself by option 175 (its encapsulated options) or user class `iPXE`. */
  readonly ipxe: boolean;
  /** Any netboot marker at all; a plain DHCP client (udhcpc, dhclient) has none. */
  readonly netboot: boolean;
}

/**
 * RFC 3004 §4 encodes user classes as length-prefixed strings, but iPXE and
 * most ROMs send one raw string. Accept the RFC form only when the lengths
 * exactly tile the option; otherwise read it raw.
 */
export function parseUserClasses(value: Buffer | undefined): string[] {
  if (!value || value.length === 0) return [];
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    const len = value[i]!;
    if (len === 0 || i + 1 + len > value.length) return [value.toString("latin1")];
    out.push(value.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  return out;
}

export function classifyClient(p: DhcpPacket): ClientKind {
  const vc = p.options.get(Opt.VendorClassId)?.toString("latin1");
  const vendorClass = vc?.startsWith("PXEClient") ? "PXEClient" : vc?.startsWith("HTTPClient") ? "HTTPClient" : undefined;
  const archOpt = p.options.get(Opt.ClientArch);
  const ndi = p.options.get(Opt.ClientNdi);
  // RFC 4578 §2.2: type 1 is UNDI; other types carry no version we use.
  const undi = ndi && ndi[0] === 1 ? { major: ndi[1]!, minor: ndi[2]! } : undefined;
  const uuid = p.options.get(Opt.ClientUuid);
  const userClasses = parseUserClasses(p.options.get(Opt.UserClass));
  const ipxe = p.options.has(Opt.Ipxe) || userClasses.includes("iPXE");
  return {
    vendorClass,
    arch: archOpt ? archOpt.readUInt16BE(0) : undefined,
    undi,
    uuid,
    userClasses,
    ipxe,
    netboot: vendorClass !== undefined || ipxe,
  };
}
