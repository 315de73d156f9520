/**
 * A relayed network: udhcpc on 10.213.61.0/24 reaches Anvil on
 * 10.213.60.0/24 through a real DHCP relay (dnsmasq --dhcp-relay). Anvil
 * must pick the relay's subnet from giaddr and answer the relay by unicast
 * on port 67 (RFC 2131 §4.1); a relay from a network Anvil does not serve
 * gets nothing.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvilDhcp, type AnvilDhcp } from "../../e2e/framework/anvil-dhcp.js";
import { udhcpcOnce } from "../../e2e/framework/dhcp-clients.js";
import { NetnsLab } from "../../e2e/framework/netns.js";
import { waitFor, type Supervised } from "../../e2e/framework/process.js";

const ANVIL = "10.213.60.1";
const RELAY_UP = "10.213.60.2";
const RELAY_LAN = "10.213.61.1";
const MAC = "02:00:5e:61:00:01";

describe("DHCP through a relay", () => {
  const lab = new NetnsLab();
  let cli = "";
  let relayNs = "";
  let anvil: AnvilDhcp | undefined;

  const startRelay = async (lanCidr: string): Promise<Supervised> => {
    const proc = lab.start(relayNs, {
      name: `relay-${Date.now()}`,
      command: "/usr/sbin/dnsmasq",
      args: ["--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=lan0", `--dhcp-relay=${lanCidr.split("/")[0]},${ANVIL}`, "--pid-file=", "--user=root", "--log-facility=-"],
    });
    await waitFor("dnsmasq relay", () => Promise.resolve(/DHCP relay/.test(readFileSync(proc.logFile, { encoding: "utf8", flag: "a+" }))), { timeoutMs: 20_000, process: proc });
    return proc;
  };

  beforeAll(async () => {
    const srv = await lab.namespace("srv");
    relayNs = await lab.namespace("relay");
    cli = await lab.namespace("cli");
    await lab.veth({ ns: srv, ifname: "srv0", cidr: `${ANVIL}/24` }, { ns: relayNs, ifname: "up0", cidr: `${RELAY_UP}/24` });
    await lab.veth({ ns: relayNs, ifname: "lan0", cidr: `${RELAY_LAN}/24` }, { ns: cli, ifname: "eth0", mac: MAC });
    await lab.ip(srv, ["route", "add", "10.213.61.0/24", "via", RELAY_UP]);
    await lab.ip(srv, ["route", "add", "10.213.62.0/24", "via", RELAY_UP]);
    anvil = await startAnvilDhcp(lab, srv, {
      dhcp: {
        mode: "reservation",
        serverAddress: ANVIL,
        subnets: [
          { cidr: "10.213.60.0/24", router: ANVIL },
          { cidr: "10.213.61.0/24", pool: { start: "10.213.61.100", end: "10.213.61.120" }, router: RELAY_LAN, leaseSeconds: 900 },
        ],
      },
      hosts: [{ mac: MAC, name: "default/relayed" }],
    });
  });

  afterAll(async () => {
    await lab.cleanup();
  });

  it("leases from the relay's subnet pool with the relay's router", async () => {
    const relay = await startRelay(`${RELAY_LAN}/24`);
    try {
      const lease = await udhcpcOnce(lab, cli, { ifname: "eth0" });
      expect(lease, `${anvil!.process.tail()}\n${relay.tail()}`).toMatchObject({ mask: "255.255.255.0", router: RELAY_LAN, leaseSeconds: 900, serverId: ANVIL });
      expect(lease!.ip).toMatch(/^10\.213\.61\.1[01]\d$/);
    } finally {
      await relay.stop();
    }
  });

  it("stays silent for a relay on a network it does not serve, and counts it", async () => {
    await lab.ip(relayNs, ["addr", "add", "10.213.62.1/24", "dev", "lan0"]);
    const relay = await startRelay("10.213.62.1/24");
    try {
      const before = (await anvil!.metrics()).dropped["foreign-relay"] ?? 0;
      const lease = await udhcpcOnce(lab, cli, { ifname: "eth0", tries: 2 });
      expect(lease).toBeUndefined();
      expect((await anvil!.metrics()).dropped["foreign-relay"] ?? 0).toBeGreaterThan(before);
    } finally {
      await relay.stop();
    }
  });
});
