import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { NetnsError, NetnsLab, namespaceExists, sweepStaleLabs } from "./netns.js";
import type { Supervised } from "./process.js";

// iputils-ping is not among the peers; busybox-static is (scripts/peers/debian.sh).
const pingOk = async (lab: NetnsLab, ns: string, ip: string): Promise<boolean> =>
  (await lab.exec(ns, "busybox", ["ping", "-c", "1", "-W", "2", ip], { allowFailure: true })).code === 0;

describe("NetnsLab", () => {
  const lab = new NetnsLab();
  afterAll(async () => {
    await lab.cleanup();
  });

  it("joins two namespaces with a veth pair that carries traffic and never shows on the host", async () => {
    const a = await lab.namespace("va");
    const b = await lab.namespace("vb");
    await lab.veth({ ns: a, ifname: "v0", cidr: "10.213.1.1/24", mac: "02:aa:00:00:00:01" }, { ns: b, ifname: "v1", cidr: "10.213.1.2/24" });
    expect(await pingOk(lab, a, "10.213.1.2")).toBe(true);
    const mac = await lab.ip(a, ["-br", "link", "show", "v0"]);
    expect(mac.stdout).toContain("02:aa:00:00:00:01");
    expect(execFileSync("ip", ["-br", "link"], { encoding: "utf8" })).not.toMatch(/\bv0\b|\bv1\b/);
  });

  it("puts three namespaces on one bridge so each reaches the others", async () => {
    const sw = await lab.namespace("sw");
    const hosts = [await lab.namespace("h1"), await lab.namespace("h2"), await lab.namespace("h3")];
    await lab.bridge(sw, "br0", hosts.map((ns, i) => ({ ns, ifname: "eth0", cidr: `10.213.2.${i + 1}/24` })));
    expect(await pingOk(lab, hosts[0]!, "10.213.2.3")).toBe(true);
    expect(await pingOk(lab, hosts[2]!, "10.213.2.2")).toBe(true);
  });

  it("runs a supervised process inside a namespace, seeing only that namespace's links", async () => {
    const ns = await lab.namespace("pr");
    const p = lab.start(ns, { name: "links", command: "sh", args: ["-c", "ip -br link; sleep 30"] });
    await new Promise((r) => setTimeout(r, 300));
    expect(p.tail()).toMatch(/^lo\s/m);
    expect(p.tail()).not.toMatch(/eth0|v0/);
    await p.stop();
    expect(p.child.exitCode !== null || p.child.signalCode !== null).toBe(true);
  });

  it("drops about the asked share of UDP packets with an nftables numgen rule", async () => {
    const a = await lab.namespace("la");
    const b = await lab.namespace("lb");
    await lab.veth({ ns: a, ifname: "l0", cidr: "10.213.3.1/24" }, { ns: b, ifname: "l1", cidr: "10.213.3.2/24" });
    await lab.dropPackets(b, { permille: 500, match: "udp dport 9999" });
    // 400 datagrams at a 50% drop rate: P(outside 100..300 dropped) is far below 1e-9.
    await lab.exec(a, "bash", ["-c", "for i in $(seq 400); do printf x > /dev/udp/10.213.3.2/9999; done"], { timeoutMs: 20_000 });
    const dropped = await lab.droppedPackets(b);
    expect(dropped).toBeGreaterThan(100);
    expect(dropped).toBeLessThan(300);
    await lab.dropPackets(b, { permille: 0 });
    expect(await lab.droppedPackets(b)).toBe(0);
  });

  it.each<[string, () => Promise<unknown>]>([
    ["an interface name over 15 characters", () => lab.veth({ ns: lab.list()[0]!, ifname: "abcdefghijklmnop" }, { ns: lab.list()[0]!, ifname: "x" })],
    ["a namespace the lab does not own", () => lab.exec("not-ours", "true", [])],
    ["a short name with a slash", () => lab.namespace("../x")],
  ])("refuses %s", async (_what, act) => {
    await expect(Promise.resolve().then(() => act())).rejects.toBeInstanceOf(NetnsError);
  });
});

describe("NetnsLab cleanup", () => {
  it("removes every namespace and process even when the test body failed midway", async () => {
    const lab = new NetnsLab();
    const names: string[] = [];
    let proc: Supervised | undefined;
    try {
      names.push(await lab.namespace("fa"));
      proc = lab.start(names[0]!, { name: "sleeper", command: "sleep", args: ["60"] });
      await lab.exec(names[0]!, "false", []);
    } catch (err) {
      expect(err).toBeInstanceOf(NetnsError);
    } finally {
      await lab.cleanup();
    }
    expect(await namespaceExists(names[0]!)).toBe(false);
    expect(proc!.child.exitCode !== null || proc!.child.signalCode !== null).toBe(true);
    await expect(lab.namespace("again")).rejects.toMatchObject({ code: "NETNS_CLOSED" });
  });

  it("sweeps namespaces left by a lab whose process died", async () => {
    const script = `
      import { NetnsLab } from ${JSON.stringify(new URL("./netns.ts", import.meta.url).pathname)};
      const lab = new NetnsLab();
      const ns = await lab.namespace("orph");
      console.log(ns);
      process.kill(process.pid, "SIGKILL");`;
    let out = "";
    try {
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? "");
    }
    const ns = out.trim();
    expect(ns).toMatch(/^anv[0-9a-f]{4}orph$/);
    expect(await namespaceExists(ns)).toBe(true);
    expect(sweepStaleLabs()).toContain(ns);
    expect(await namespaceExists(ns)).toBe(false);
  });
});
