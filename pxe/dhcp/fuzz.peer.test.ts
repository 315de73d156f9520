/**
 * 100,000 hostile datagrams at a running Anvil DHCP server in a namespace,
 * then a real client: the server must still be up, must have counted every
 * datagram as answered or dropped (malformed ones by decode error), and must
 * still lease to udhcpc.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvilDhcp, type AnvilDhcp } from "../../e2e/framework/anvil-dhcp.js";
import { udhcpcOnce } from "../../e2e/framework/dhcp-clients.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { totalDropped } from "./metrics.js";

const SERVER = "10.213.30.1";
const CLIENT_MAC = "02:00:5e:30:00:01";
const COUNT = 100_000;

describe("Anvil DHCP under a 100,000-datagram hostile corpus", () => {
  const lab = new NetnsLab();
  let srv = "";
  let fuzz = "";
  let cli = "";
  let anvil: AnvilDhcp | undefined;

  beforeAll(async () => {
    srv = await lab.namespace("srv");
    fuzz = await lab.namespace("fuzz");
    cli = await lab.namespace("cli");
    const sw = await lab.namespace("sw");
    await lab.bridge(sw, "br0", [
      { ns: srv, ifname: "srv0", cidr: `${SERVER}/24` },
      { ns: fuzz, ifname: "eth0", cidr: "10.213.30.9/24" },
      { ns: cli, ifname: "eth0", mac: CLIENT_MAC },
    ]);
    anvil = await startAnvilDhcp(lab, srv, {
      dhcp: { mode: "reservation", serverAddress: SERVER, subnets: [{ cidr: "10.213.30.0/24", pool: { start: "10.213.30.100", end: "10.213.30.200" }, router: SERVER }] },
      hosts: [{ mac: CLIENT_MAC, name: "default/survivor", reservation: { ip: "10.213.30.50" } }],
    });
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it("keeps running, accounts for every datagram and still leases to udhcpc", { timeout: 300_000 }, async () => {
    const started = Date.now();
    const r = await lab.exec(fuzz, process.execPath, ["--import", "tsx", "pxe/dhcp/fuzz-send-entry.ts", SERVER, "67", String(COUNT), "3"], { timeoutMs: 240_000 });
    expect(r.stdout).toContain(`sent ${COUNT}`);
    const sendSeconds = (Date.now() - started) / 1000;

    // The sender is done when the server may still be draining its socket: read until the count settles.
    let m = await anvil!.metrics();
    for (let i = 0; i < 30; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const next = await anvil!.metrics();
      if (next.received === m.received) break;
      m = next;
    }
    expect(anvil!.process.child.exitCode).toBeNull();
    // What the server did not read, the kernel counted as a receive-buffer overflow (RFC 1213 udpInErrors family).
    const snmp = (await lab.exec(srv, "cat", ["/proc/net/snmp"])).stdout.split("\n").filter((l) => l.startsWith("Udp:"));
    const [names, values] = snmp.map((l) => l.split(/\s+/));
    const rcvbufErrors = Number(values![names!.indexOf("RcvbufErrors")]);
    expect(m.received + rcvbufErrors).toBeGreaterThanOrEqual(COUNT);
    expect(m.received).toBeGreaterThanOrEqual(COUNT * 0.9);
    expect(m.answered + totalDropped(m)).toBe(m.received);
    const malformed = Object.values(m.malformed).reduce((a, b) => a + b, 0);
    expect(malformed).toBeGreaterThan(COUNT * 0.5);
    expect(m.dropped.malformed).toBe(malformed);

    const lease = await udhcpcOnce(lab, cli, { ifname: "eth0" });
    expect(lease, anvil!.process.tail()).toMatchObject({ ip: "10.213.30.50", serverId: SERVER });
    console.log(`fuzz: ${COUNT} datagrams in ${sendSeconds.toFixed(1)} s; received ${m.received}, kernel rcvbuf drops ${rcvbufErrors}, malformed ${malformed} ${JSON.stringify(m.malformed)}, other drops ${JSON.stringify(m.dropped)}`);
  });
});
