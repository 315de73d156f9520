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

export async function startDnsmasq(lab: NetnsLab, ns: string, o: DnsmasqOptions): Promise<Dnsmasq> {
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
  const proc = lab.start(ns, { name, command: "/usr/sbin/dnsmasq", args });
  const log = (): string => {
    try {
      return readFileSync(proc.logFile, "utf8");
    } catch {
      return "";
    }
  };
  await waitFor(`${name} to start`, () => Promise.resolve(/DHCP, IP range/.test(log())), {
    timeoutMs: 15_000,
    process: proc,
  });
  return { process: proc, log };
}
