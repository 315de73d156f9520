/**
 * ProxyDHCP next to a real primary DHCP server (dnsmasq) on one bridge: a
 * PXE client gets its address from dnsmasq and its boot information from
 * Anvil (PXE spec 2.1 §2.2.1), then asks Anvil's boot-server port 4011.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvilDhcp, type AnvilDhcp } from "../../e2e/framework/anvil-dhcp.js";
import { udhcpcOnce } from "../../e2e/framework/dhcp-clients.js";
import { startDnsmasq } from "../../e2e/framework/dnsmasq.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import type { SeenReply } from "./pxe-test-client.js";

const ANVIL = "10.213.20.1";
const DNSMASQ = "10.213.20.2";
const KNOWN = "02:00:5e:20:00:01";
const UNKNOWN = "02:00:5e:20:00:02";
const PLAIN = "02:00:5e:20:00:03";

describe("ProxyDHCP beside dnsmasq", () => {
  const lab = new NetnsLab();
  const ns = { srv: "", dhcp: "", pxe: "", unknown: "", plain: "" };
  let anvil: AnvilDhcp | undefined;

  const pxeClient = async (where: string, args: Record<string, unknown>): Promise<{ code: number; out: { offers?: SeenReply[]; ack?: SeenReply } }> => {
    const r = await lab.exec(where, process.execPath, ["--import", "tsx", "pxe/dhcp/pxe-test-client.ts", JSON.stringify(args)], { allowFailure: true, timeoutMs: 30_000 });
    if (r.code === 1) throw new Error(r.stderr);
    return { code: r.code, out: JSON.parse(r.stdout || "{}") as { offers?: SeenReply[]; ack?: SeenReply } };
  };

  beforeAll(async () => {
    ns.srv = await lab.namespace("srv");
    ns.dhcp = await lab.namespace("dhcp");
    ns.pxe = await lab.namespace("pxe");
    ns.unknown = await lab.namespace("unknown");
    ns.plain = await lab.namespace("plain");
    const sw = await lab.namespace("sw");
    await lab.bridge(sw, "br0", [
      { ns: ns.srv, ifname: "srv0", cidr: `${ANVIL}/24` },
      { ns: ns.dhcp, ifname: "dhcp0", cidr: `${DNSMASQ}/24` },
      { ns: ns.pxe, ifname: "eth0", mac: KNOWN },
      { ns: ns.unknown, ifname: "eth0", mac: UNKNOWN },
      { ns: ns.plain, ifname: "eth0", mac: PLAIN },
    ]);
    // The test client sends from an unnumbered interface, as a ROM does; it needs a route for the broadcast.
    for (const c of [ns.pxe, ns.unknown]) await lab.ip(c, ["route", "add", "255.255.255.255/32", "dev", "eth0"]);
    await startDnsmasq(lab, ns.dhcp, { iface: "dhcp0", rangeStart: "10.213.20.100", rangeEnd: "10.213.20.150", extra: ["--no-ping"] });
    anvil = await startAnvilDhcp(lab, ns.srv, {
      dhcp: { mode: "proxy", serverAddress: ANVIL, httpBaseUrl: `http://${ANVIL}:8080` },
      hosts: [
        { mac: KNOWN, name: "default/pxe", boot: { kind: "local-disk" } },
        { mac: PLAIN, name: "default/plain", boot: { kind: "local-disk" } },
      ],
    });
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it("gets its address from dnsmasq and its boot file from Anvil's address-less offer", async () => {
    const uuid = "0123456789abcdef0123456789abcdef";
    const { code, out } = await pxeClient(ns.pxe, { step: "dora", mac: KNOWN, arch: 0, uuid });
    expect(code, anvil!.process.tail()).toBe(0);
    const fromDnsmasq = out.offers!.find((o) => o.serverId === DNSMASQ);
    const fromAnvil = out.offers!.find((o) => o.serverId === ANVIL);
    expect(fromDnsmasq?.yiaddr).toMatch(/^10\.213\.20\.1\d\d$/);
    expect(fromAnvil).toMatchObject({ yiaddr: "0.0.0.0", siaddr: ANVIL, file: "undionly.kpxe", vendorClass: "PXEClient", pxeOptions: "060108ff", uuid: `00${uuid}` });
    expect(fromAnvil!.leaseSeconds).toBeUndefined();
    expect(out.ack).toMatchObject({ serverId: DNSMASQ, yiaddr: fromDnsmasq!.yiaddr });
    expect(out.offers!.filter((o) => o.serverId === ANVIL)).toHaveLength(1);
  });

  it("answers the PXE boot-server REQUEST on port 4011 once the client has its address", async () => {
    await lab.ip(ns.pxe, ["addr", "add", "10.213.20.99/24", "dev", "eth0"]);
    try {
      const { code, out } = await pxeClient(ns.pxe, { step: "boot", mac: KNOWN, arch: 0, server: ANVIL, ciaddr: "10.213.20.99", userClass: "iPXE" });
      expect(code, anvil!.process.tail()).toBe(0);
      expect(out.ack).toMatchObject({ serverId: ANVIL, yiaddr: "0.0.0.0", file: `http://${ANVIL}:8080/boot.ipxe`, from: `${ANVIL}:4011` });
    } finally {
      await lab.ip(ns.pxe, ["addr", "del", "10.213.20.99/24", "dev", "eth0"]);
    }
  });

  it("gives an unknown PXE client only dnsmasq's offer, and counts it", async () => {
    const before = (await anvil!.metrics()).dropped["unknown-mac"] ?? 0;
    const { code, out } = await pxeClient(ns.unknown, { step: "dora", mac: UNKNOWN, arch: 7 });
    expect(code).toBe(0);
    expect(out.offers!.map((o) => o.serverId)).toEqual([DNSMASQ]);
    expect((await anvil!.metrics()).dropped["unknown-mac"]).toBeGreaterThan(before);
  });

  it("leaves a plain DHCP client (udhcpc, no PXE options) to dnsmasq alone", async () => {
    const before = (await anvil!.metrics()).dropped["not-netboot"] ?? 0;
    const lease = await udhcpcOnce(lab, ns.plain, { ifname: "eth0" });
    expect(lease).toMatchObject({ serverId: DNSMASQ, bootFile: "" });
    expect((await anvil!.metrics()).dropped["not-netboot"]).toBeGreaterThan(before);
  });
});
