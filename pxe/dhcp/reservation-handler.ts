/**
 * Mode `reservation`: Anvil is the provisioning network's DHCP server and
 * answers only MACs the boot backend knows, with their fixed reservation or
 * an address from the subnet's pool that sticks to the MAC.
 */
import type { BootBackend, BootRecord } from "../boot-backend.js";
import { chooseBoot } from "./boot-policy.js";
import { classifyClient } from "./client-kind.js";
import type { DhcpConfig, ResolvedSubnet } from "./config.js";
import { messageTypeOf } from "./decode.js";
import { drop, type DhcpHandler, type Outcome, type RequestContext } from "./handler.js";
import { formatIpv4, inSubnet, ipv4Bytes, parseIpv4, readIpv4, ZERO_IP } from "./ipv4.js";
import type { LeaseStore } from "./lease-store.js";
import { MessageType, Opt } from "./options.js";
import { BOOTREQUEST, macOf, type DhcpMessage, type DhcpPacket } from "./packet.js";
import { applyBoot, baseReply, destinationOf, echoRelayInfo } from "./reply.js";

interface Assignment {
  readonly ip: number;
  readonly fixed: boolean;
  readonly mask: string;
  readonly router?: string;
  readonly dnsServers: readonly string[];
  readonly hostname?: string;
  readonly leaseSeconds: number;
}

type Resolved = { readonly ok: true; readonly a: Assignment } | { readonly ok: false; readonly reason: "wrong-network" | "pool-exhausted" | "no-binding" };

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export class ReservationHandler implements DhcpHandler {
  constructor(
    private readonly cfg: DhcpConfig,
    private readonly backend: BootBackend,
    private readonly leases: LeaseStore,
  ) {}

  /** RFC 2131 §4.3.1: the network is the relay's (giaddr) when relayed, else the one the server is attached to. */
  private subnetOf(req: DhcpPacket): ResolvedSubnet | undefined {
    if (req.giaddr === ZERO_IP) return this.cfg.subnets[0];
    const relay = parseIpv4(req.giaddr)!;
    return this.cfg.subnets.find((s) => inSubnet(relay, s.subnet));
  }

  /**
   * The address `record` should have on `subnet`. With `allocate` a pool
   * address may be picked for a MAC without one (DISCOVER); without it only
   * an existing binding counts (REQUEST in INIT-REBOOT, RENEWING, REBINDING).
   */
  private resolve(record: BootRecord, subnet: ResolvedSubnet, now: number, allocate: boolean, requested?: number): Resolved {
    const r = record.reservation;
    if (r) {
      const ip = parseIpv4(r.ip);
      if (ip === undefined || !inSubnet(ip, subnet.subnet)) return { ok: false, reason: "wrong-network" };
      return {
        ok: true,
        a: {
          ip,
          fixed: true,
          mask: r.subnetMask ?? formatIpv4(subnet.subnet.mask),
          router: r.router ?? subnet.router,
          dnsServers: r.dnsServers ?? subnet.dnsServers,
          hostname: r.hostname,
          leaseSeconds: r.leaseSeconds ?? subnet.leaseSeconds,
        },
      };
    }
    if (!subnet.pool) return { ok: false, reason: "pool-exhausted" };
    let ip: number | undefined;
    if (allocate) {
      ip = this.leases.pick(record.mac, subnet.pool, now, requested);
      if (ip === undefined) return { ok: false, reason: "pool-exhausted" };
    } else {
      const own = this.leases.lookup(record.mac);
      if (!own || own.ip < subnet.pool.start || own.ip > subnet.pool.end) return { ok: false, reason: "no-binding" };
      ip = own.ip;
    }
    return {
      ok: true,
      a: { ip, fixed: false, mask: formatIpv4(subnet.subnet.mask), router: subnet.router, dnsServers: subnet.dnsServers, leaseSeconds: subnet.leaseSeconds },
    };
  }

  async handle(req: DhcpPacket, ctx: RequestContext): Promise<Outcome> {
    if (req.op !== BOOTREQUEST) return drop("not-request");
    if (ctx.localPort !== this.cfg.serverPort) return drop("wrong-port");
    if (req.htype !== 1 || req.hlen !== 6) return drop("not-ethernet");
    const subnet = this.subnetOf(req);
    if (!subnet) return drop("foreign-relay");
    const record = await this.backend.byMac(macOf(req));
    if (!record) return drop("unknown-mac");
    const type = messageTypeOf(req);
    switch (type) {
      case MessageType.Discover:
        return this.discover(req, record, subnet, ctx);
      case MessageType.Request:
        return this.request(req, record, subnet, ctx);
      case MessageType.Inform:
        return this.inform(req, record, subnet);
      case MessageType.Release:
        await this.leases.release(record.mac, ctx.now);
        return { kind: "done" };
      case MessageType.Decline: {
        const declined = req.options.get(Opt.RequestedIp);
        if (!declined) return drop("no-binding");
        await this.leases.decline(record.mac, declined.readUInt32BE(0), ctx.now);
        return { kind: "done" };
      }
      default:
        return drop("unsupported-type");
    }
  }

  private discover(req: DhcpPacket, record: BootRecord, subnet: ResolvedSubnet, ctx: RequestContext): Outcome {
    const requested = req.options.get(Opt.RequestedIp)?.readUInt32BE(0);
    const r = this.resolve(record, subnet, ctx.now, true, requested);
    if (!r.ok) return drop(r.reason === "no-binding" ? "pool-exhausted" : r.reason);
    if (!r.a.fixed) this.leases.offer(record.mac, r.a.ip, ctx.now);
    return this.lease(req, record, MessageType.Offer, r.a);
  }

  /** RFC 2131 §4.3.2: the client's state decides what a REQUEST must match. */
  private async request(req: DhcpPacket, record: BootRecord, subnet: ResolvedSubnet, ctx: RequestContext): Promise<Outcome> {
    const serverId = req.options.get(Opt.ServerId);
    const requestedOpt = req.options.get(Opt.RequestedIp);
    const requested = requestedOpt?.readUInt32BE(0);
    let wanted: number | undefined;
    let r: Resolved;
    if (serverId) {
      // SELECTING: the client answers one OFFER; another server's id means it chose that one.
      if (readIpv4(serverId, 0) !== this.cfg.serverAddress) return drop("wrong-server");
      if (req.ciaddr !== ZERO_IP || requested === undefined) return this.nak(req);
      wanted = requested;
      r = this.resolve(record, subnet, ctx.now, true, requested);
    } else if (requested !== undefined && req.ciaddr === ZERO_IP) {
      // INIT-REBOOT: NAK an address from the wrong network; stay silent without a record of the client.
      if (!inSubnet(requested, subnet.subnet)) return this.nak(req);
      wanted = requested;
      r = this.resolve(record, subnet, ctx.now, false);
    } else if (req.ciaddr !== ZERO_IP) {
      // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the address being extended.
      wanted = parseIpv4(req.ciaddr)!;
      if (!inSubnet(wanted, subnet.subnet)) return this.nak(req);
      r = this.resolve(record, subnet, ctx.now, false);
    } else {
      return this.nak(req);
    }
    if (!r.ok) return r.reason === "no-binding" ? drop("no-binding") : this.nak(req);
    if (r.a.ip !== wanted) return this.nak(req);
    if (!r.a.fixed) await this.leases.bind(record.mac, r.a.ip, ctx.now + r.a.leaseSeconds * 1000);
    return this.lease(req, record, MessageType.Ack, r.a);
  }

  /** RFC 2131 §4.3.5: configuration only — no yiaddr, no lease time, unicast to ciaddr. */
  private inform(req: DhcpPacket, record: BootRecord, subnet: ResolvedSubnet): Outcome {
    if (req.ciaddr === ZERO_IP) return drop("no-binding");
    const reply = baseReply(req, MessageType.Ack, this.cfg.serverAddress);
    reply.options.set(Opt.SubnetMask, ipv4Bytes(formatIpv4(subnet.subnet.mask)));
    const router = record.reservation?.router ?? subnet.router;
    if (router) reply.options.set(Opt.Router, ipv4Bytes(router));
    const dns = record.reservation?.dnsServers ?? subnet.dnsServers;
    if (dns.length > 0) reply.options.set(Opt.DnsServers, Buffer.concat(dns.map(ipv4Bytes)));
    const client = classifyClient(req);
    applyBoot(req, reply, chooseBoot(client, record, this.cfg), client, this.cfg, false);
    echoRelayInfo(req, reply);
    return { kind: "reply", message: reply, to: destinationOf(req, reply, this.cfg) };
  }

  private lease(req: DhcpPacket, record: BootRecord, type: MessageType, a: Assignment): Outcome {
    const reply: DhcpMessage = baseReply(req, type, this.cfg.serverAddress);
    reply.yiaddr = formatIpv4(a.ip);
    // RFC 2131 §4.3.1 Table 3: OFFER and ACK MUST carry the lease time (51); 58/59 default to 0.5 and 0.875 of it (§4.4.5).
    reply.options.set(Opt.LeaseTime, u32(a.leaseSeconds));
    reply.options.set(Opt.RenewalTime, u32(Math.floor(a.leaseSeconds * 0.5)));
    reply.options.set(Opt.RebindingTime, u32(Math.floor(a.leaseSeconds * 0.875)));
    reply.options.set(Opt.SubnetMask, ipv4Bytes(a.mask));
    // Option 3 also lets iPXE finish network configuration without waiting for an IPv6 router.
    if (a.router) reply.options.set(Opt.Router, ipv4Bytes(a.router));
    if (a.dnsServers.length > 0) reply.options.set(Opt.DnsServers, Buffer.concat(a.dnsServers.map(ipv4Bytes)));
    if (a.hostname) reply.options.set(Opt.Hostname, Buffer.from(a.hostname, "latin1"));
    const client = classifyClient(req);
    applyBoot(req, reply, chooseBoot(client, record, this.cfg), client, this.cfg, false);
    echoRelayInfo(req, reply);
    return { kind: "reply", message: reply, to: destinationOf(req, reply, this.cfg) };
  }

  /** RFC 2131 §4.3.2 / Table 3: a NAK carries no address and no lease parameters. */
  private nak(req: DhcpPacket): Outcome {
    const reply = baseReply(req, MessageType.Nak, this.cfg.serverAddress);
    echoRelayInfo(req, reply);
    return { kind: "reply", message: reply, to: destinationOf(req, reply, this.cfg) };
  }

  close(): Promise<void> {
    return this.leases.close();
  }
}
