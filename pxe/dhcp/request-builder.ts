/**
 * Builds client-side DHCP messages (BOOTREQUEST) the way a PXE ROM, iPXE or
 * a plain client would send them. Used by the unit tests, the fuzz corpus
 * and the PXE test client; the server never sends requests.
 */
import { ipv4Bytes, ZERO_IP } from "./ipv4.js";
import { Opt, type MessageType } from "./options.js";
import { BOOTREQUEST, type DhcpMessage } from "./packet.js";

export interface RequestSpec {
  readonly type: MessageType;
  readonly mac: string;
  readonly xid?: number;
  readonly ciaddr?: string;
  readonly giaddr?: string;
  readonly broadcast?: boolean;
  readonly requestedIp?: string;
  readonly serverId?: string;
  /** Option 60, e.g. `PXEClient:Arch:00000:UNDI:002001`. */
  readonly vendorClass?: string;
  /** Option 93. */
  readonly arch?: number;
  /** Option 94 as [type, major, minor]. */
  readonly ndi?: readonly [number, number, number];
  /** Option 97: 16 octets of UUID (type 0 is prepended). */
  readonly uuid?: Buffer;
  /** Option 77, sent raw as iPXE does. */
  readonly userClass?: string;
  /** Option 175 present (iPXE's feature list), as iPXE sends it. */
  readonly ipxeFeatures?: boolean;
  readonly clientId?: Buffer;
  readonly paramRequest?: readonly number[];
  readonly maxMessageSize?: number;
  /** Further raw options, written last. */
  readonly extra?: ReadonlyMap<number, Buffer>;
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replace(/[^0-9a-f]/gi, ""), "hex");
}

export function buildRequest(spec: RequestSpec): DhcpMessage {
  const o = new Map<number, Buffer>();
  o.set(Opt.MessageType, Buffer.from([spec.type]));
  if (spec.clientId) o.set(Opt.ClientId, spec.clientId);
  if (spec.requestedIp) o.set(Opt.RequestedIp, ipv4Bytes(spec.requestedIp));
  if (spec.serverId) o.set(Opt.ServerId, ipv4Bytes(spec.serverId));
  if (spec.maxMessageSize !== undefined) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(spec.maxMessageSize);
    o.set(Opt.MaxMessageSize, b);
  }
  if (spec.paramRequest) o.set(Opt.ParameterRequestList, Buffer.from(spec.paramRequest));
  if (spec.vendorClass) o.set(Opt.VendorClassId, Buffer.from(spec.vendorClass, "latin1"));
  if (spec.arch !== undefined) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(spec.arch);
    o.set(Opt.ClientArch, b);
  }
  if (spec.ndi) o.set(Opt.ClientNdi, Buffer.from(spec.ndi));
  if (spec.uuid) o.set(Opt.ClientUuid, Buffer.concat([Buffer.from([0]), spec.uuid]));
  if (spec.userClass) o.set(Opt.UserClass, Buffer.from(spec.userClass, "latin1"));
  // iPXE's option 175 lists its features as encapsulated options, e.g. 19 (HTTP) = 1.
  if (spec.ipxeFeatures) o.set(Opt.Ipxe, Buffer.from([19, 1, 1, 23, 1, 1]));
  for (const [k, v] of spec.extra ?? []) o.set(k, v);
  const chaddr = Buffer.alloc(16);
  macBytes(spec.mac).copy(chaddr);
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: spec.xid ?? 0x12345678,
    secs: 0,
    flags: spec.broadcast ? 0x8000 : 0,
    ciaddr: spec.ciaddr ?? ZERO_IP,
    yiaddr: ZERO_IP,
    siaddr: ZERO_IP,
    giaddr: spec.giaddr ?? ZERO_IP,
    chaddr: chaddr.subarray(0, 6),
    sname: "",
    file: "",
    options: o,
  };
}
