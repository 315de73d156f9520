/**
 * Mode `proxy`: ProxyDHCP (PXE spec 2.1 §2.2.1). Another server leases the
 * addresses; Anvil answers netboot clients' DISCOVERs on port 67 with an
 * offer that has no address (yiaddr 0) but option 60 `PXEClient` and the
 * boot information, and their REQUESTs on port 4011 with an ACK like it.
 */
import type { BootBackend } from "../boot-backend.js";
import { chooseBoot } from "./boot-policy.js";
import { classifyClient } from "./client-kind.js";
import type { DhcpConfig } from "./config.js";
import { messageTypeOf } from "./decode.js";
import { drop, type DhcpHandler, type Outcome, type RequestContext } from "./handler.js";
import { ZERO_IP } from "./ipv4.js";
import { MessageType } from "./options.js";
import { BOOTREQUEST, macOf, type DhcpPacket } from "./packet.js";
import { applyBoot, baseReply, destinationOf, echoRelayInfo } from "./reply.js";

export class ProxyHandler implements DhcpHandler {
  constructor(
    private readonly cfg: DhcpConfig,
    private readonly backend: BootBackend,
  ) {}

  async handle(req: DhcpPacket, ctx: RequestContext): Promise<Outcome> {
    if (req.op !== BOOTREQUEST) return drop("not-request");
    if (req.htype !== 1 || req.hlen !== 6) return drop("not-ethernet");
    const type = messageTypeOf(req);
    const onBootServerPort = ctx.localPort === this.cfg.proxyPort;
    // PXE spec 2.1 §2.2.1: DISCOVER arrives on 67; the boot-server REQUEST (or INFORM) on 4011.
    // REQUESTs on 67 belong to the real DHCP server.
    if (onBootServerPort ? type !== MessageType.Request && type !== MessageType.Inform : type !== MessageType.Discover) {
      return drop(type === MessageType.Request || type === MessageType.Discover || type === MessageType.Inform ? "wrong-port" : "unsupported-type");
    }
    const client = classifyClient(req);
    // Non-netboot clients are the real DHCP server's business alone.
    if (!client.netboot) return drop("not-netboot");
    const record = await this.backend.byMac(macOf(req));
    if (!record) return drop("unknown-mac");
    const choice = chooseBoot(client, record, this.cfg);
    if (choice.kind === "none") return drop(choice.reason);

    const reply = baseReply(req, onBootServerPort ? MessageType.Ack : MessageType.Offer, this.cfg.serverAddress);
    // A ProxyDHCP reply never leases: yiaddr stays 0 (PXE spec 2.1 §2.2.1).
    reply.yiaddr = ZERO_IP;
    applyBoot(req, reply, choice, client, this.cfg, true);
    echoRelayInfo(req, reply);
    if (onBootServerPort) {
      // The client already has its address and sent from it: answer where it asked from.
      return { kind: "reply", message: reply, to: ctx.from.address === ZERO_IP ? destinationOf(req, reply, this.cfg) : ctx.from };
    }
    return { kind: "reply", message: reply, to: destinationOf(req, reply, this.cfg) };
  }
}
