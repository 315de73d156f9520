import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveConfig } from "./config.js";
import { routerAdvertiserArgs, startRouterAdvertiser } from "./router-advertiser.js";

const base = { mode: "reservation" as const, serverAddress: "10.0.0.1", subnets: [{ cidr: "10.0.0.0/24" }] };

describe("router advertisement settings", () => {
  it("are off unless configured", () => {
    expect(resolveConfig(base).routerAdvertisements).toBeUndefined();
  });

  it("default to Debian's dnsmasq every 30 s", () => {
    expect(resolveConfig({ ...base, routerAdvertisements: { interface: "eth1" } }).routerAdvertisements).toEqual({ interface: "eth1", command: "/usr/sbin/dnsmasq", intervalSeconds: 30 });
  });

  it.each([
    ["an interface name with a slash", { interface: "eth0/1" }],
    ["an interface name longer than 15 bytes", { interface: "a-very-long-ifname" }],
    ["a relative command", { interface: "eth1", command: "dnsmasq" }],
    ["an interval under RFC 4861's 4 s", { interface: "eth1", intervalSeconds: 3 }],
  ])("refuse %s", (_, ra) => {
    expect(() => resolveConfig({ ...base, routerAdvertisements: ra })).toThrow(/routerAdvertisements/);
  });

  it("ask dnsmasq for advertisements only, with router lifetime 0 (not a default router, RFC 4861 §4.2)", () => {
    const args = routerAdvertiserArgs({ interface: "eth1", command: "/usr/sbin/dnsmasq", intervalSeconds: 30 });
    expect(args).toContain("--port=0");
    expect(args).toContain("--enable-ra");
    expect(args).toContain("--dhcp-range=::,constructor:eth1,ra-only");
    expect(args).toContain("--ra-param=eth1,30,0");
    expect(args.some((a) => a.startsWith("--dhcp-range=") && !a.endsWith("ra-only"))).toBe(false);
  });
});

describe("the supervised sender", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-ra-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (name: string, body: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };

  it("is restarted after it exits on its own, with the reason logged", async () => {
    const runs = path.join(dir, "runs");
    const command = script("flaky.sh", `echo run >> ${runs}; echo "dnsmasq: unknown interface" >&2; exit 2`);
    const lines: string[] = [];
    const ra = startRouterAdvertiser({ interface: "eth1", command, intervalSeconds: 30 }, (l) => lines.push(l));
    try {
      for (let i = 0; i < 50 && ra.restarts < 1; i++) await new Promise((r) => setTimeout(r, 100));
      expect(ra.restarts).toBeGreaterThanOrEqual(1);
      expect(lines.join("\n")).toMatch(/router advertiser exited \(code 2: dnsmasq: unknown interface\); restarting in 1000 ms/);
    } finally {
      await ra.stop();
    }
    const count = readFileSync(runs, "utf8").split("\n").filter(Boolean).length;
    await new Promise((r) => setTimeout(r, 2500));
    // Stopped means stopped: no further runs after stop().
    expect(readFileSync(runs, "utf8").split("\n").filter(Boolean).length).toBe(count);
  });

  it("is ended by stop() and not restarted", async () => {
    const pidFile = path.join(dir, "pid");
    const command = script("long.sh", `echo $$ > ${pidFile}; exec sleep 60`);
    const lines: string[] = [];
    const ra = startRouterAdvertiser({ interface: "eth1", command, intervalSeconds: 30 }, (l) => lines.push(l));
    let pid = 0;
    for (let i = 0; i < 50 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      pid = Number(readFileSync(pidFile, { encoding: "utf8", flag: "a+" }).trim() || "0");
    }
    expect(pid).toBeGreaterThan(0);
    await ra.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(lines.join("\n")).not.toMatch(/exited/);
  });
});
