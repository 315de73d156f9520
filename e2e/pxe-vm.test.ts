/**
 * Issue 4's VM proof: qemu VMs network-boot through Anvil's own services
 * (`anvil pxe serve`: DHCP in reservation mode, TFTP, HTTP/iPXE, file
 * backend) into the test payload, which reports back over HTTP.
 *
 *  - legacy BIOS (SeaBIOS, e1000 with qemu's iPXE ROM): DHCP → Anvil's HTTP
 *    entry script → per-MAC script → kernel + initrd → report;
 *  - UEFI (OVMF, virtio-net without an option ROM, so EDK2's own PXE client
 *    boots first): DHCP → TFTP ipxe.efi (EDK2's blksize/windowsize/tsize
 *    abort dance) → iPXE → DHCP → Anvil's scripts → kernel + initrd → report.
 *
 * A third VM boots in proxy mode: dnsmasq (the site's DHCP server) leases its
 * address, Anvil's ProxyDHCP adds the boot information.
 *
 * The LAN has an IPv6 router (RA-only dnsmasq): without one iPXE waits ~13 s
 * before booting, which Anvil's DHCPv4 cannot prevent. Times are printed.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvilBoot, type AnvilBoot } from "./framework/anvil-boot.js";
import { bootLan, SERVER_IFACE, SERVER_IP, type BootLan } from "./framework/boot-lan.js";
import { startDnsmasq, startRouterAdvertiser } from "./framework/dnsmasq.js";
import { startHttpRecorder, type HttpRecorder } from "./framework/http-recorder.js";
import { NetnsLab } from "./framework/netns.js";
import type { Firmware, NicModel } from "./framework/qemu.js";
import { testBootPayload, tokenDigest } from "./framework/test-initramfs.js";
import { timedBoot, type TimedBoot } from "./framework/timed-boot.js";

const VM_TIMEOUT_MS = 150_000;

interface Machine {
  readonly firmware: Firmware;
  readonly nic: NicModel;
  readonly nicRom: "qemu" | "none";
  readonly mac: string;
  readonly ip: string;
  readonly token: string;
  /** TFTP files this firmware must fetch from Anvil before iPXE runs. */
  readonly tftpFiles: readonly string[];
}

const MACHINES: readonly Machine[] = [
  { firmware: "bios", nic: "e1000", nicRom: "qemu", mac: "52:54:00:77:20:01", ip: "10.77.0.31", token: randomBytes(16).toString("hex"), tftpFiles: [] },
  {
    firmware: "uefi",
    nic: "virtio-net-pci",
    nicRom: "none",
    mac: "52:54:00:77:20:02",
    ip: "10.77.0.32",
    token: randomBytes(16).toString("hex"),
    tftpFiles: ["ipxe.efi"],
  },
];

interface LogEvent {
  readonly event?: string;
  readonly path?: string;
  readonly remote?: string;
  readonly status?: number;
  readonly file?: string;
  readonly client?: string;
  readonly outcome?: string;
}

function events(anvil: AnvilBoot): LogEvent[] {
  return readFileSync(anvil.process.logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogEvent);
}

/** The payload's report and Anvil's own logs agree that `m` booted through Anvil's services. */
function expectBootedThroughAnvil(anvil: AnvilBoot, m: Machine, boot: TimedBoot, addr: string | RegExp): void {
  expect(boot.report).toMatchObject({
    result: "ok",
    mac: m.mac,
    bootif: `01-${m.mac.replaceAll(":", "-")}`,
    tokensum: tokenDigest(m.token),
  });
  expect(boot.report.addr).toMatch(addr);
  const ip = boot.report.addr.split("/")[0] ?? "";
  expect(boot.reportFrom).toBe(ip);
  expect(boot.exitCode).toBe(0);

  const mine = events(anvil).filter((e) => e.remote === ip || e.remote === `::ffff:${ip}` || e.client?.startsWith(`${ip}:`));
  const httpPaths = mine.filter((e) => e.event === "http" && e.status === 200).map((e) => e.path);
  expect(httpPaths).toEqual(expect.arrayContaining(["/boot.ipxe", `/ipxe/${m.mac.replaceAll(":", "-")}`, "/assets/vmlinuz", "/assets/initramfs.gz"]));
  for (const f of m.tftpFiles) {
    expect(mine.some((e) => e.event === "transfer-end" && e.file === f && e.outcome === "completed")).toBe(true);
  }
}

describe("qemu VMs network-booting through Anvil's boot service", () => {
  let lab: NetnsLab;
  let net: BootLan;
  let anvil: AnvilBoot;
  let recorder: HttpRecorder;

  beforeAll(async () => {
    lab = new NetnsLab();
    try {
      net = await bootLan(lab);
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, 8081);
      anvil = await startAnvilBoot(net, testBootPayload(), {
        hosts: MACHINES,
        kernelArgs: `console=ttyS0 quiet anvil.report=${recorder.url("/report")}`,
      });
    } catch (err) {
      await lab.cleanup();
      throw err;
    }
  }, 180_000);

  afterAll(async () => {
    await lab.cleanup();
  });

  it.each(MACHINES)(
    "boots a $firmware VM ($nic) from Anvil's DHCP, TFTP and HTTP into the test payload, which reports its reserved address",
    async (m) => {
      const tap = await net.addTap(`tap${m.firmware}`);
      const boot = await timedBoot({
        net,
        tap,
        recorder,
        vm: { name: `anvil-${m.firmware}`, firmware: m.firmware, nic: m.nic, nicRom: m.nicRom, mac: m.mac },
        firstHttp: { file: anvil.process.logFile, pattern: anvil.firstHttpPattern(m.ip), lineTime: anvil.lineTime },
        timeoutMs: VM_TIMEOUT_MS,
      });

      expectBootedThroughAnvil(anvil, m, boot, `${m.ip}/24`);
      console.info(
        `${m.firmware}: first HTTP request ${boot.firstHttpMs} ms after VM start, report ${boot.reportMs} ms (guest uptime ${boot.report.uptime} s)`,
      );
    },
    VM_TIMEOUT_MS + 60_000,
  );
});

describe("a qemu VM network-booting through Anvil's ProxyDHCP beside dnsmasq", () => {
  const m: Machine = { ...MACHINES[0]!, mac: "52:54:00:77:20:03", token: randomBytes(16).toString("hex") };
  let lab: NetnsLab;
  let net: BootLan;
  let anvil: AnvilBoot;
  let recorder: HttpRecorder;

  beforeAll(async () => {
    lab = new NetnsLab();
    try {
      net = await bootLan(lab);
      await startRouterAdvertiser(lab, net.srv, SERVER_IFACE);
      // The site's own DHCP server: addresses only, no boot information.
      const site = await net.addServer("site", "10.77.0.2/24");
      await startDnsmasq(lab, site, { name: "site-dnsmasq", iface: "eth0", rangeStart: "10.77.0.100", rangeEnd: "10.77.0.150" });
      recorder = await startHttpRecorder(lab, net.srv, SERVER_IP, 8081);
      anvil = await startAnvilBoot(net, testBootPayload(), {
        hosts: [m],
        kernelArgs: `console=ttyS0 quiet anvil.report=${recorder.url("/report")}`,
        dhcpMode: "proxy",
      });
    } catch (err) {
      await lab.cleanup();
      throw err;
    }
  }, 180_000);

  afterAll(async () => {
    await lab.cleanup();
  });

  // Debian's iPXE (1.0.0+git-20190125) accepts a ProxyDHCP reply only with a
  // non-zero next-server AND a boot file (iPXE src/net/udp/dhcp.c
  // dhcp_has_pxeopts), so this case guards siaddr in Anvil's proxy replies.
  it(
    "takes its address from dnsmasq and its boot script from Anvil, and boots the test payload (BIOS)",
    async () => {
      const tap = await net.addTap("tapproxy");
      const boot = await timedBoot({
        net,
        tap,
        recorder,
        vm: { name: "anvil-proxy-bios", firmware: m.firmware, nic: m.nic, nicRom: m.nicRom, mac: m.mac },
        firstHttp: { file: anvil.process.logFile, pattern: anvil.firstHttpPattern(), lineTime: anvil.lineTime },
        timeoutMs: VM_TIMEOUT_MS,
      });
      expectBootedThroughAnvil(anvil, m, boot, /^10\.77\.0\.(1[0-4]\d|150)\/24$/);
      console.info(`proxy/bios: first HTTP request ${boot.firstHttpMs} ms after VM start, report ${boot.reportMs} ms`);
    },
    VM_TIMEOUT_MS + 60_000,
  );
});
