/**
 * Reservation mode against real clients (busybox udhcpc, ISC dhclient) in
 * network namespaces: Anvil in `srv`, each client in its own namespace on a
 * bridge, so DISCOVERs are real L2 broadcasts.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvilDhcp, type AnvilDhcp, type HostEntry } from "../../e2e/framework/anvil-dhcp.js";
import { dhclientOnce, udhcpcOnce } from "../../e2e/framework/dhcp-clients.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import type { DhcpConfigInput } from "./config.js";

const SERVER = "10.213.10.1";
const MAC = {
  reserved: "02:00:5e:10:00:01",
  pooled: "02:00:5e:10:00:02",
  latecomer: "02:00:5e:10:00:03",
  unknown: "02:00:5e:10:00:04",
  pxe: "02:00:5e:10:00:05",
} as const;

const hosts: HostEntry[] = [
  { mac: MAC.reserved, name: "default/reserved", reservation: { ip: "10.213.10.50", router: SERVER, leaseSeconds: 600 } },
  { mac: MAC.pooled, name: "default/pooled" },
  { mac: MAC.latecomer, name: "default/latecomer" },
  { mac: MAC.pxe, name: "default/pxe", reservation: { ip: "10.213.10.60" }, boot: { kind: "local-disk" } },
];

describe("DHCP reservation mode with real clients", () => {
  const lab = new NetnsLab();
  let srv = "";
  const cli: Record<keyof typeof MAC, string> = { reserved: "", pooled: "", latecomer: "", unknown: "", pxe: "" };
  let anvil: AnvilDhcp | undefined;
  let dhcp: DhcpConfigInput;

  beforeAll(async () => {
    srv = await lab.namespace("srv");
    const sw = await lab.namespace("sw");
    for (const k of Object.keys(MAC) as (keyof typeof MAC)[]) cli[k] = await lab.namespace(k.slice(0, 8));
    await lab.bridge(sw, "br0", [
      { ns: srv, ifname: "srv0", cidr: `${SERVER}/24` },
      ...(Object.keys(MAC) as (keyof typeof MAC)[]).map((k) => ({ ns: cli[k], ifname: "eth0", mac: MAC[k] })),
    ]);
    dhcp = {
      mode: "reservation",
      serverAddress: SERVER,
      httpBaseUrl: `http://${SERVER}:8080`,
      subnets: [{ cidr: "10.213.10.0/24", pool: { start: "10.213.10.100", end: "10.213.10.120" }, router: SERVER, dnsServers: [SERVER], leaseSeconds: 1200 }],
      leaseFile: path.join(lab.dir, "leases.json"),
    };
    anvil = await startAnvilDhcp(lab, srv, { dhcp, hosts });
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it("gives udhcpc the reserved address with mask, router and the host's lease time", async () => {
    const lease = await udhcpcOnce(lab, cli.reserved, { ifname: "eth0" });
    expect(lease, anvil!.process.tail()).toMatchObject({
      ip: "10.213.10.50",
      mask: "255.255.255.0",
      router: SERVER,
      leaseSeconds: 600,
      serverId: SERVER,
      bootFile: "",
    });
  });

  let pooledIp = "";
  it("gives dhclient a pool address with the subnet's lease time", async () => {
    const lease = await dhclientOnce(lab, cli.pooled, "eth0");
    expect(lease, anvil!.process.tail()).toBeDefined();
    expect(lease!.ip).toMatch(/^10\.213\.10\.(1[01]\d|120)$/);
    expect(lease).toMatchObject({ mask: "255.255.255.0", router: SERVER, leaseSeconds: 1200, serverId: SERVER });
    pooledIp = lease!.ip;
    expect(existsSync(dhcp.leaseFile!)).toBe(true);
    // The ACK was sent after the binding reached the journal (the snapshot is rewritten only at start and compaction).
    expect(readFileSync(`${dhcp.leaseFile!}.journal`, "utf8")).toContain(`"m":"${MAC.pooled}","i":"${lease!.ip}","s":"bound"`);
  });

  it("keeps a MAC's pool address across a server restart, even when another MAC asks first", async () => {
    expect(pooledIp).not.toBe("");
    await anvil!.stop();
    anvil = await startAnvilDhcp(lab, srv, { name: "anvil-dhcp-2", dhcp, hosts });
    const other = await udhcpcOnce(lab, cli.latecomer, { ifname: "eth0" });
    expect(other?.ip, anvil.process.tail()).toMatch(/^10\.213\.10\.1\d\d$/);
    expect(other!.ip).not.toBe(pooledIp);
    const again = await udhcpcOnce(lab, cli.pooled, { ifname: "eth0" });
    expect(again?.ip).toBe(pooledIp);
  });

  it("answers an unknown MAC with nothing and counts it", async () => {
    const before = (await anvil!.metrics()).dropped["unknown-mac"] ?? 0;
    const lease = await udhcpcOnce(lab, cli.unknown, { ifname: "eth0", tries: 2 });
    expect(lease).toBeUndefined();
    const after = await anvil!.metrics();
    expect(after.dropped["unknown-mac"] ?? 0).toBeGreaterThanOrEqual(before + 2);
  });

  it.each([
    ["a PXE BIOS client", ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"], "undionly.kpxe", SERVER],
    ["a PXE x86-64 UEFI client", ["-V", "PXEClient:Arch:00007:UNDI:003016", "-x", "0x5d:0007"], "ipxe.efi", SERVER],
    ["iPXE (user class iPXE)", ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000", "-x", "0x4d:69505845"], `http://${SERVER}:8080/boot.ipxe`, SERVER],
    ["a UEFI HTTP boot client", ["-V", "HTTPClient:Arch:00016:UNDI:003001", "-x", "0x5d:0010"], `http://${SERVER}:8080/ipxe.efi`, SERVER],
  ])("gives %s its lease and boot file", async (kind, extra, bootFile, siaddr) => {
    const lease = await udhcpcOnce(lab, cli.pxe, { ifname: "eth0", extra: [...extra, "-O", "175"] });
    // Only iPXE is told to skip its ProxyDHCP wait (option 175, sub-option 176 = 1).
    const ipxeOption = kind.startsWith("iPXE") ? "b00101" : "";
    expect(lease, anvil!.process.tail()).toMatchObject({ ip: "10.213.10.60", bootFile, siaddr, router: SERVER, ipxeOption });
  });
});
