/**
 * dnsmasq as a DHCP (and optionally TFTP) peer inside a lab namespace: the
 * independent reference a test compares Anvil's services against, or the
 * "existing DHCP server" of a proxy-mode test. Foreground, DNS off, its lease
 * file in the lab directory, every DHCP exchange logged (`--log-dhcp`).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { NetnsLab } from "./netns.js";
import { waitFor, type Supervised } from "./process.js";

export interface DnsmasqOptions {
  /** @default "dnsmasq" */
  readonly name?: string;
  /** The interface (with an address in the range's subnet) dnsmasq binds to. */
  readonly iface: string;
  readonly rangeStart: string;
  readonly rangeEnd: string;
  /** @default "255.255.255.0" */
  readonly netmask?: string;
  /** @default "10m" */
  readonly leaseTime?: string;
  /** Serve TFTP from this directory on the same interface (port 69). */
  readonly tftpRoot?: string;
  /** Further dnsmasq options, e.g. `--dhcp-boot=tag:ipxe,boot.ipxe`. */
  readonly extra?: readonly string[];
}

export interface Dnsmasq {
  readonly process: Supervised;
  /** dnsmasq's log so far (DHCP and TFTP lines). */
  log(): string;
}

function supervise(lab: NetnsLab, ns: string, name: string, args: readonly string[], ready: RegExp): Promise<Dnsmasq> {
  const proc = lab.start(ns, { name, command: "/usr/sbin/dnsmasq", args });
  const log = (): string => {
    try {
      return readFileSync(proc.logFile, "utf8");
    } catch {
      return "";
    }
  };
  return waitFor(`${name} to start`, () => Promise.resolve(ready.test(log())), { timeoutMs: 15_000, process: proc }).then(() => ({
    process: proc,
    log,
  }));
}

export function startDnsmasq(lab: NetnsLab, ns: string, o: DnsmasqOptions): Promise<Dnsmasq> {
  const name = o.name ?? "dnsmasq";
  const args = [
    "--no-daemon",
    "--conf-file=/dev/null",
    "--port=0",
    `--interface=${o.iface}`,
    "--bind-interfaces",
    `--dhcp-range=${o.rangeStart},${o.rangeEnd},${o.netmask ?? "255.255.255.0"},${o.leaseTime ?? "10m"}`,
    `--dhcp-leasefile=${path.join(lab.dir, `${name}.leases`)}`,
    "--pid-file=",
    "--user=root",
    "--log-dhcp",
    "--log-facility=-",
    ...(o.tftpRoot ? ["--enable-tftp", `--tftp-root=${o.tftpRoot}`] : []),
    ...(o.extra ?? []),
  ];
  return supervise(lab, ns, name, args, /DHCP, IP range/);
}

/**
 * An IPv6 router for the LAN: dnsmasq sending router advertisements only (no
 * DHCPv4, no DNS, no port bound), for a ULA prefix it adds to `iface`. iPXE
 * configures IPv4 and IPv6 together and waits ~13 s for a router
 * advertisement (RFC 4861 §6.3.7 solicitations) before it boots unless one
 * arrives; a provisioning LAN with an IPv6 router answers at once.
 */
export async function startRouterAdvertiser(lab: NetnsLab, ns: string, iface: string, prefix = "fd77::1/64"): Promise<Dnsmasq> {
  await lab.ip(ns, ["-6", "addr", "add", prefix, "dev", iface, "nodad"]);
  const args = [
    "--no-daemon",
    "--conf-file=/dev/null",
    "--port=0",
    `--interface=${iface}`,
    "--bind-interfaces",
    "--pid-file=",
    "--user=root",
    "--log-facility=-",
    "--enable-ra",
    `--dhcp-range=::,constructor:${iface},ra-only`,
  ];
  return supervise(lab, ns, "router-advertiser", args, /IPv6 router advertisement enabled/);
}
