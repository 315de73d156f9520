/**
 * Building replies: the BOOTP fields copied from the request (RFC 2131 §4.3.1
 * Table 3), the boot fields and options of a BootChoice, and where the reply
 * goes (RFC 2131 §4.1).
 */
import type { BootChoice } from "./boot-policy.js";
import type { ClientKind } from "./client-kind.js";
import type { DhcpConfig } from "./config.js";
import { ipv4Bytes, ZERO_IP } from "./ipv4.js";
import { IpxeOpt, MessageType, Opt, PxeOpt } from "./options.js";
import { BOOTREPLY, BROADCAST_FLAG, type DhcpMessage, type DhcpPacket } from "./packet.js";

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/** A reply skeleton: op, xid, flags, giaddr and chaddr from the request; options 53 and 54 first. */
export function baseReply(req: DhcpPacket, type: MessageType, serverId: string): DhcpMessage {
  const options = new Map<number, Buffer>();
  options.set(Opt.MessageType, Buffer.from([type]));
  // RFC 2131 §4.3.1 Table 3: option 54 MUST be in every OFFER, ACK and NAK.
  options.set(Opt.ServerId, ipv4Bytes(serverId));
  // RFC 6842 §3: a server MUST echo the client identifier.
  const clientId = req.options.get(Opt.ClientId);
  if (clientId) options.set(Opt.ClientId, clientId);
  return {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    flags: req.flags,
    ciaddr: ZERO_IP,
    yiaddr: ZERO_IP,
    siaddr: ZERO_IP,
    giaddr: req.giaddr,
    chaddr: req.chaddr,
    sname: "",
    file: "",
    options,
  };
}

/** RFC 3046 §2.2: a server echoes the relay agent option (82) back to the relay, last. */
export function echoRelayInfo(req: DhcpPacket, reply: DhcpMessage): void {
  const info = req.options.get(Opt.RelayAgentInfo);
  if (info && req.giaddr !== ZERO_IP) reply.options.set(Opt.RelayAgentInfo, info);
}

/** `iPXE`'s encapsulated option 175 with `no-pxedhcp` = 1, so it does not wait ~2 s for ProxyDHCP offers. */
export function ipxeNoProxyDhcp(): Buffer {
  return Buffer.from([IpxeOpt.NoPxeDhcp, 1, 1]);
}

/**
 * PXE spec 2.1 §2.4.1: option 43 with PXE_DISCOVERY_CONTROL bit 3 set tells
 * the ROM to take the boot file from this reply instead of running boot
 * server discovery. Option 43 ends with 255 like any option list.
 */
function pxeVendorOptions(): Buffer {
  return Buffer.from([PxeOpt.DiscoveryControl, 1, 0x08, 255]);
}

/**
 * Sets siaddr/sname/file and the boot options for `choice`. `proxy` marks a
 * ProxyDHCP reply (PXE spec 2.1 §2.2.1: option 60 `PXEClient` and option 43).
 */
export function applyBoot(
  req: DhcpPacket,
  reply: DhcpMessage,
  choice: BootChoice,
  client: ClientKind,
  cfg: DhcpConfig,
  proxy: boolean,
): void {
  if (choice.kind === "none") return;
  const requested = req.options.get(Opt.ParameterRequestList) ?? Buffer.alloc(0);
  const file = choice.kind === "tftp" ? choice.file : choice.url;
  // RFC 2131 §2: siaddr is the next server in bootstrap; 'file' names the boot file.
  // Set it for URL choices too: iPXE takes a ProxyDHCP reply only with a non-zero
  // next-server and a file (iPXE src/net/udp/dhcp.c, dhcp_has_pxeopts).
  reply.siaddr = cfg.tftpServer;
  reply.file = file;
  // RFC 2132 §9.4/§9.5: options 66 and 67 duplicate sname/file for clients that ask for them.
  if (requested.includes(Opt.TftpServerName) && choice.kind === "tftp") reply.options.set(Opt.TftpServerName, Buffer.from(cfg.tftpServer));
  if (requested.includes(Opt.BootfileName)) reply.options.set(Opt.BootfileName, Buffer.from(file, "latin1"));
  // Option 77 raw, as iPXE sends it: the iPXE binary reads it from the ROM's cached reply (ADR 0024).
  if (choice.kind === "tftp" && choice.userClass !== "") reply.options.set(Opt.UserClass, Buffer.from(choice.userClass, "latin1"));
  if (choice.kind === "http") {
    // UEFI 2.x §24.7.2: an HTTP boot client only accepts offers that carry option 60 "HTTPClient".
    reply.options.set(Opt.VendorClassId, Buffer.from("HTTPClient"));
  } else if (proxy && client.vendorClass === "PXEClient") {
    reply.options.set(Opt.VendorClassId, Buffer.from("PXEClient"));
    reply.options.set(Opt.VendorSpecific, pxeVendorOptions());
  }
  // PXE spec 2.1 §2.2.1: the ProxyDHCP reply carries the client's UUID (option 97) back.
  if (proxy && client.uuid) reply.options.set(Opt.ClientUuid, client.uuid);
  if (client.ipxe && cfg.ipxeNoProxyDhcp) reply.options.set(Opt.Ipxe, ipxeNoProxyDhcp());
}

/**
 * RFC 2131 §4.1, "If the 'giaddr' field ... is nonzero": to the relay on
 * port 67; else a client with ciaddr gets unicast; else broadcast when the
 * client asked for it or the reply is a NAK. Unicast to yiaddr needs an ARP
 * entry the socket API cannot add, and the RFC allows broadcast instead.
 */
export function destinationOf(req: DhcpPacket, reply: DhcpMessage, cfg: DhcpConfig): Destination {
  const nak = reply.options.get(Opt.MessageType)?.[0] === MessageType.Nak;
  if (req.giaddr !== ZERO_IP) {
    // RFC 2131 §4.3.2: a NAK through a relay sets the broadcast bit so the relay broadcasts it.
    if (nak) reply.flags |= BROADCAST_FLAG;
    return { address: req.giaddr, port: cfg.serverPort };
  }
  if (!nak && req.ciaddr !== ZERO_IP) return { address: req.ciaddr, port: cfg.clientPort };
  return { address: cfg.broadcastAddress, port: cfg.clientPort };
}
