import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BootBackend, BootRecord } from "../boot-backend.js";
import { resolveConfig, type DhcpConfigInput } from "./config.js";
import { decodeDhcp } from "./decode.js";
import { encodeDhcp } from "./encode.js";
import type { DhcpHandler, Outcome } from "./handler.js";
import { LeaseStore } from "./lease-store.js";
import { MessageType, Opt } from "./options.js";
import { ProxyHandler } from "./proxy-handler.js";
import { buildRequest, type RequestSpec } from "./request-builder.js";
import { ReservationHandler } from "./reservation-handler.js";

const SERVER = "10.0.0.1";
const FIXED = "52:54:00:00:00:01";
const POOLED = "52:54:00:00:00:02";
const UNKNOWN = "52:54:00:00:00:99";
const NOBOOT = "52:54:00:00:00:03";

/** A fixture twin of the boot backend: a map. */
function mapBackend(records: BootRecord[]): BootBackend {
  const m = new Map(records.map((r) => [r.mac, r]));
  return { byMac: (mac) => Promise.resolve(m.get(mac)) };
}

const backend = mapBackend([
  { mac: FIXED, hostName: "default/fixed", reservation: { ip: "10.0.0.50", hostname: "fixed", leaseSeconds: 600 }, action: { kind: "local-disk" } },
  { mac: POOLED, hostName: "default/pooled", action: { kind: "local-disk" } },
  { mac: NOBOOT, hostName: "default/noboot", action: { kind: "none" } },
]);

const input: DhcpConfigInput = {
  mode: "reservation",
  serverAddress: SERVER,
  httpBaseUrl: "http://10.0.0.1:8080",
  subnets: [
    { cidr: "10.0.0.0/24", pool: { start: "10.0.0.100", end: "10.0.0.101" }, router: SERVER, dnsServers: ["10.0.0.2"], leaseSeconds: 1000 },
    { cidr: "10.9.0.0/24", pool: { start: "10.9.0.100", end: "10.9.0.110" }, router: "10.9.0.1" },
  ],
};
const NOW = 1_700_000_000_000;

async function send(h: DhcpHandler, spec: RequestSpec, localPort = 67, from = { address: "0.0.0.0", port: 68 }): Promise<Outcome> {
  // Through the real codec, so the handler sees what the socket would give it.
  return h.handle(decodeDhcp(encodeDhcp(buildRequest(spec))), { localPort, from, now: NOW });
}

function replyOf(o: Outcome) {
  if (o.kind !== "reply") throw new Error(`expected a reply, got ${JSON.stringify(o)}`);
  return { ...o, type: o.message.options.get(Opt.MessageType)?.[0], back: decodeDhcp(Buffer.from(encodeDhcp(o.message)).fill(1, 0, 1)) };
}

describe("ReservationHandler", () => {
  let dir = "";
  let h: ReservationHandler;
  let leases: LeaseStore;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-dhcp-"));
    leases = await LeaseStore.open(path.join(dir, "leases.json"));
    h = new ReservationHandler(resolveConfig(input), backend, leases);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("offers a known MAC its reservation with mask, router, DNS, hostname and lease times (RFC 2131 §4.3.1)", async () => {
    const r = replyOf(await send(h, { type: MessageType.Discover, mac: FIXED }));
    expect(r.type).toBe(MessageType.Offer);
    expect(r.message.yiaddr).toBe("10.0.0.50");
    const o = r.back.options;
    expect(o.get(Opt.ServerId)).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(o.get(Opt.SubnetMask)).toEqual(Buffer.from([255, 255, 255, 0]));
    expect(o.get(Opt.Router)).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(o.get(Opt.DnsServers)).toEqual(Buffer.from([10, 0, 0, 2]));
    expect(o.get(Opt.Hostname)?.toString()).toBe("fixed");
    expect(o.get(Opt.LeaseTime)?.readUInt32BE(0)).toBe(600);
    expect(o.get(Opt.RenewalTime)?.readUInt32BE(0)).toBe(300);
    expect(o.get(Opt.RebindingTime)?.readUInt32BE(0)).toBe(525);
    expect(r.to).toEqual({ address: "255.255.255.255", port: 68 });
  });

  it.each<[string, string, Outcome["kind"], string?]>([
    ["an unknown MAC", UNKNOWN, "drop", "unknown-mac"],
    ["a known MAC that should not boot (it still gets an address)", NOBOOT, "reply"],
  ])("answers a DISCOVER from %s as %s", async (_what, mac, kind, reason) => {
    const o = await send(h, { type: MessageType.Discover, mac });
    expect(o.kind).toBe(kind);
    if (reason) expect(o).toEqual({ kind: "drop", reason });
  });

  it("walks a pool client through DISCOVER, SELECTING REQUEST and a unicast RENEW", async () => {
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: POOLED }));
    expect(offer.message.yiaddr).toBe("10.0.0.100");
    const ack = replyOf(await send(h, { type: MessageType.Request, mac: POOLED, serverId: SERVER, requestedIp: "10.0.0.100" }));
    expect(ack.type).toBe(MessageType.Ack);
    expect(ack.message.yiaddr).toBe("10.0.0.100");
    expect(leases.lookup(POOLED)).toMatchObject({ state: "bound", expiresAt: NOW + 1_000_000 });
    const renew = replyOf(await send(h, { type: MessageType.Request, mac: POOLED, ciaddr: "10.0.0.100" }, 67, { address: "10.0.0.100", port: 68 }));
    expect(renew.type).toBe(MessageType.Ack);
    // RFC 2131 §4.1: a client with ciaddr gets unicast.
    expect(renew.to).toEqual({ address: "10.0.0.100", port: 68 });
  });

  it.each<[string, RequestSpec, Outcome["kind"], number | string]>([
    ["SELECTING with another server's identifier (it chose that offer)", { type: MessageType.Request, mac: FIXED, serverId: "10.0.0.254", requestedIp: "10.0.0.50" }, "drop", "wrong-server"],
    ["SELECTING an address other than the offered one", { type: MessageType.Request, mac: FIXED, serverId: SERVER, requestedIp: "10.0.0.51" }, "reply", MessageType.Nak],
    ["SELECTING without option 50", { type: MessageType.Request, mac: FIXED, serverId: SERVER }, "reply", MessageType.Nak],
    ["INIT-REBOOT with its reserved address", { type: MessageType.Request, mac: FIXED, requestedIp: "10.0.0.50" }, "reply", MessageType.Ack],
    ["INIT-REBOOT with an address from another network", { type: MessageType.Request, mac: FIXED, requestedIp: "192.168.1.5" }, "reply", MessageType.Nak],
    ["INIT-REBOOT with a wrong address on this network", { type: MessageType.Request, mac: FIXED, requestedIp: "10.0.0.77" }, "reply", MessageType.Nak],
    ["INIT-REBOOT from a pool client the server has no record of", { type: MessageType.Request, mac: POOLED, requestedIp: "10.0.0.100" }, "drop", "no-binding"],
    ["RENEWING with a wrong ciaddr", { type: MessageType.Request, mac: FIXED, ciaddr: "10.0.0.51" }, "reply", MessageType.Nak],
    ["REBINDING from another network", { type: MessageType.Request, mac: FIXED, ciaddr: "172.16.0.5", broadcast: true }, "reply", MessageType.Nak],
  ])("answers a REQUEST in %s per RFC 2131 §4.3.2", async (_what, spec, kind, expected) => {
    const o = await send(h, spec);
    expect(o.kind).toBe(kind);
    if (o.kind === "reply") expect(replyOf(o).type).toBe(expected);
    else expect(o).toEqual({ kind: "drop", reason: expected });
  });

  it("broadcasts a NAK and leaves out address and lease options (RFC 2131 §4.1, Table 3)", async () => {
    const nak = replyOf(await send(h, { type: MessageType.Request, mac: FIXED, requestedIp: "10.0.0.77", clientId: Buffer.from("01525400000001", "hex") }));
    expect(nak.to.address).toBe("255.255.255.255");
    expect(nak.message.yiaddr).toBe("0.0.0.0");
    expect(nak.back.options.has(Opt.LeaseTime)).toBe(false);
    expect(nak.back.options.get(Opt.ClientId)?.toString("hex")).toBe("01525400000001");
  });

  it("answers a relayed DISCOVER from the relay's subnet pool to the relay on port 67 (RFC 2131 §4.1)", async () => {
    const info = Buffer.from([1, 3, 0x61, 0x62, 0x63]);
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: POOLED, giaddr: "10.9.0.1", extra: new Map([[Opt.RelayAgentInfo, info]]) }));
    expect(offer.message.yiaddr).toBe("10.9.0.100");
    expect(offer.to).toEqual({ address: "10.9.0.1", port: 67 });
    expect(offer.message.giaddr).toBe("10.9.0.1");
    // RFC 3046 §2.2: option 82 is echoed to the relay.
    expect(offer.back.options.get(Opt.RelayAgentInfo)).toEqual(info);
  });

  it("sets the broadcast bit on a NAK sent through a relay (RFC 2131 §4.3.2)", async () => {
    const nak = replyOf(await send(h, { type: MessageType.Request, mac: FIXED, giaddr: "10.9.0.1", requestedIp: "192.168.0.1" }));
    expect(nak.to).toEqual({ address: "10.9.0.1", port: 67 });
    expect(nak.message.flags & 0x8000).toBe(0x8000);
  });

  it("drops a request relayed from a network it does not serve", async () => {
    expect(await send(h, { type: MessageType.Discover, mac: POOLED, giaddr: "172.16.0.1" })).toEqual({ kind: "drop", reason: "foreign-relay" });
  });

  it("drops a reservation that is not on the requesting network", async () => {
    expect(await send(h, { type: MessageType.Discover, mac: FIXED, giaddr: "10.9.0.1" })).toEqual({ kind: "drop", reason: "wrong-network" });
  });

  it("stops offering once the pool is exhausted and counts it", async () => {
    const other = "52:54:00:00:00:04";
    const more = mapBackend([
      { mac: POOLED, hostName: "a", action: { kind: "none" } },
      { mac: other, hostName: "b", action: { kind: "none" } },
      { mac: "52:54:00:00:00:05", hostName: "c", action: { kind: "none" } },
    ]);
    const hh = new ReservationHandler(resolveConfig(input), more, leases);
    expect(replyOf(await send(hh, { type: MessageType.Discover, mac: POOLED })).message.yiaddr).toBe("10.0.0.100");
    expect(replyOf(await send(hh, { type: MessageType.Discover, mac: other })).message.yiaddr).toBe("10.0.0.101");
    expect(await send(hh, { type: MessageType.Discover, mac: "52:54:00:00:00:05" })).toEqual({ kind: "drop", reason: "pool-exhausted" });
  });

  it("keeps a released address for the same MAC (RFC 2131 §4.3.4) and quarantines a declined one (§4.3.3)", async () => {
    await send(h, { type: MessageType.Discover, mac: POOLED });
    await send(h, { type: MessageType.Request, mac: POOLED, serverId: SERVER, requestedIp: "10.0.0.100" });
    expect(await send(h, { type: MessageType.Release, mac: POOLED, ciaddr: "10.0.0.100" })).toEqual({ kind: "done" });
    expect(replyOf(await send(h, { type: MessageType.Discover, mac: POOLED })).message.yiaddr).toBe("10.0.0.100");
    expect(await send(h, { type: MessageType.Decline, mac: POOLED, requestedIp: "10.0.0.100" })).toEqual({ kind: "done" });
    expect(replyOf(await send(h, { type: MessageType.Discover, mac: POOLED })).message.yiaddr).toBe("10.0.0.101");
  });

  it("answers an INFORM with configuration but no address or lease time, unicast to ciaddr (RFC 2131 §4.3.5)", async () => {
    const ack = replyOf(await send(h, { type: MessageType.Inform, mac: FIXED, ciaddr: "10.0.0.50" }));
    expect(ack.type).toBe(MessageType.Ack);
    expect(ack.message.yiaddr).toBe("0.0.0.0");
    expect(ack.back.options.has(Opt.LeaseTime)).toBe(false);
    expect(ack.back.options.get(Opt.Router)).toEqual(Buffer.from([10, 0, 0, 1]));
    expect(ack.to).toEqual({ address: "10.0.0.50", port: 68 });
  });

  it("tells iPXE to skip the ProxyDHCP wait with option 175.176 and gives it the script URL", async () => {
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: FIXED, vendorClass: "PXEClient:Arch:00000", arch: 0, userClass: "iPXE", ipxeFeatures: true }));
    expect(offer.back.file).toBe("http://10.0.0.1:8080/boot.ipxe");
    expect(offer.back.options.get(Opt.Ipxe)).toEqual(Buffer.from([176, 1, 1]));
    expect(offer.back.options.get(Opt.Router)).toEqual(Buffer.from([10, 0, 0, 1]));
  });

  it("gives a PXE ROM next-server, file and, when asked, options 66 and 67 (RFC 2132 §9.4-9.5)", async () => {
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: FIXED, vendorClass: "PXEClient:Arch:00000", arch: 0, paramRequest: [1, 3, 66, 67] }));
    expect(offer.back.siaddr).toBe(SERVER);
    expect(offer.back.file).toBe("undionly.kpxe");
    expect(offer.back.options.get(Opt.TftpServerName)?.toString()).toBe(SERVER);
    expect(offer.back.options.get(Opt.BootfileName)?.toString()).toBe("undionly.kpxe");
    // Not a ProxyDHCP reply: no option 60 PXEClient that would send the ROM into boot server discovery.
    expect(offer.back.options.has(Opt.VendorClassId)).toBe(false);
  });

  it("echoes option 60 HTTPClient to a UEFI HTTP boot client (UEFI 2.x §24.7.2)", async () => {
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: FIXED, vendorClass: "HTTPClient:Arch:00016", arch: 16 }));
    expect(offer.back.options.get(Opt.VendorClassId)?.toString()).toBe("HTTPClient");
    expect(offer.back.file).toBe("http://10.0.0.1:8080/ipxe.efi");
  });

  it("ignores messages on a port other than the server port and non-Ethernet clients", async () => {
    expect(await send(h, { type: MessageType.Discover, mac: FIXED }, 4011)).toEqual({ kind: "drop", reason: "wrong-port" });
    const ib = buildRequest({ type: MessageType.Discover, mac: FIXED });
    ib.htype = 32;
    expect(await h.handle(decodeDhcp(encodeDhcp(ib)), { localPort: 67, from: { address: "0.0.0.0", port: 68 }, now: NOW })).toEqual({ kind: "drop", reason: "not-ethernet" });
  });
});

describe("ProxyHandler", () => {
  const h = new ProxyHandler(resolveConfig({ ...input, mode: "proxy", subnets: [] }), backend);
  const uuid = Buffer.alloc(16, 0x5a);
  const pxeBios = { vendorClass: "PXEClient:Arch:00000:UNDI:002001", arch: 0, uuid };

  it("answers a PXE DISCOVER on 67 with an address-less offer carrying PXEClient, option 43 and the UUID (PXE spec 2.1 §2.2.1)", async () => {
    const offer = replyOf(await send(h, { type: MessageType.Discover, mac: FIXED, ...pxeBios }));
    expect(offer.type).toBe(MessageType.Offer);
    expect(offer.message.yiaddr).toBe("0.0.0.0");
    expect(offer.back.options.get(Opt.VendorClassId)?.toString()).toBe("PXEClient");
    expect(offer.back.options.get(Opt.VendorSpecific)).toEqual(Buffer.from([6, 1, 8, 255]));
    expect(offer.back.options.get(Opt.ClientUuid)).toEqual(Buffer.concat([Buffer.from([0]), uuid]));
    expect(offer.back.options.has(Opt.LeaseTime)).toBe(false);
    expect(offer.back.siaddr).toBe(SERVER);
    expect(offer.back.file).toBe("undionly.kpxe");
    expect(offer.to).toEqual({ address: "255.255.255.255", port: 68 });
  });

  it("answers the boot-server REQUEST on 4011 with an ACK back to where it came from", async () => {
    const ack = replyOf(await send(h, { type: MessageType.Request, mac: FIXED, ciaddr: "10.0.0.77", ...pxeBios, userClass: "iPXE" }, 4011, { address: "10.0.0.77", port: 68 }));
    expect(ack.type).toBe(MessageType.Ack);
    expect(ack.back.file).toBe("http://10.0.0.1:8080/boot.ipxe");
    // iPXE ignores a ProxyDHCP reply whose next-server is 0.0.0.0, even with a URL in 'file'.
    expect(ack.back.siaddr).toBe(SERVER);
    expect(ack.to).toEqual({ address: "10.0.0.77", port: 68 });
  });

  it.each<[string, RequestSpec, number, string]>([
    ["a plain client's DISCOVER", { type: MessageType.Discover, mac: FIXED }, 67, "not-netboot"],
    ["an unknown PXE client", { type: MessageType.Discover, mac: UNKNOWN, ...pxeBios }, 67, "unknown-mac"],
    ["a known PXE client that should not boot", { type: MessageType.Discover, mac: NOBOOT, ...pxeBios }, 67, "boot-none"],
    ["a REQUEST on 67, which is the real server's", { type: MessageType.Request, mac: FIXED, serverId: "10.0.0.254", requestedIp: "10.0.0.9", ...pxeBios }, 67, "wrong-port"],
    ["a DISCOVER on 4011", { type: MessageType.Discover, mac: FIXED, ...pxeBios }, 4011, "wrong-port"],
    ["a RELEASE", { type: MessageType.Release, mac: FIXED, ...pxeBios }, 67, "unsupported-type"],
  ])("stays silent on %s", async (_what, spec, port, reason) => {
    expect(await send(h, spec, port)).toEqual({ kind: "drop", reason });
  });
});
