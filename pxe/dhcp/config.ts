/**
 * DHCP service settings. `resolveConfig` validates a parsed YAML/JSON object
 * and fills the defaults, so handlers only ever see a complete config.
 */
import type { RouterAdvertiserConfig } from "./router-advertiser.js";
import { DhcpConfigError } from "./errors.js";
import { inSubnet, parseCidr, parseIpv4, type Subnet } from "./ipv4.js";

export type DhcpMode = "reservation" | "proxy" | "off";

/** Boot file names served over TFTP, per RFC 4578 architecture. */
export interface BootFiles {
  /** Arch 0 (x86 BIOS). @default "undionly.kpxe" */
  readonly bios: string;
  /** Arch 6, 7, 9 (x86 UEFI). @default "ipxe.efi" (set "snponly.efi" for NICs whose UNDI iPXE lacks a driver for) */
  readonly uefiX64: string;
  /** Arch 11 (arm64 UEFI). @default "ipxe-arm64.efi" */
  readonly uefiArm64: string;
}

export interface SubnetConfig {
  /** e.g. `10.213.1.0/24`. */
  readonly cidr: string;
  /** Addresses handed to known MACs that have no fixed reservation. */
  readonly pool?: { readonly start: string; readonly end: string };
  /**
   * Option 3 (RFC 2132 §3.5). It does not stop iPXE's ~13 s IPv6 wait: measured
   * in e2e/pxe-vm.test.ts, only a router advertisement on the LAN does (docs/dhcp.md).
   */
  readonly router?: string;
  /** Option 6. */
  readonly dnsServers?: readonly string[];
  /** Option 51. @default 3600 */
  readonly leaseSeconds?: number;
}

export interface DhcpConfigInput {
  readonly mode: DhcpMode;
  /** Anvil's address on the provisioning network: option 54 and the default next-server. */
  readonly serverAddress: string;
  /** siaddr / option 66. @default serverAddress */
  readonly tftpServer?: string;
  /** Base of HTTP boot URLs. @default `http://<serverAddress>` */
  readonly httpBaseUrl?: string;
  /** The iPXE script URL; `{mac}` becomes the client's MAC (colon form). @default `<httpBaseUrl>/boot.ipxe` */
  readonly scriptUrl?: string;
  readonly bootFiles?: Partial<BootFiles>;
  /** The user class Anvil's own iPXE build sends. @default "Anvil" */
  readonly anvilUserClass?: string;
  /**
   * When true an iPXE that is not Anvil's build (a NIC ROM) is chainloaded
   * into Anvil's iPXE first; when false any iPXE gets the script. @default false
   */
  readonly chainloadForeignIpxe?: boolean;
  /** Tell iPXE not to wait for ProxyDHCP offers (option 175.176). @default true in reservation mode */
  readonly ipxeNoProxyDhcp?: boolean;
  /** Reservation mode: the networks served, the local one first. */
  readonly subnets?: readonly SubnetConfig[];
  /** Reservation mode: where pool bindings persist. Memory only when absent. */
  readonly leaseFile?: string;
  /** fsync the lease file before each ACK (RFC 2131 §1.6: bindings survive server restarts). @default true */
  readonly leaseFileFsync?: boolean;
  /**
   * Send IPv6 router advertisements on this interface so iPXE does not wait
   * ~13 s for one (pxe/dhcp/router-advertiser.ts, ADR 0012). Off when absent.
   */
  readonly routerAdvertisements?: { readonly interface: string; readonly command?: string; readonly intervalSeconds?: number };
  /** @default "0.0.0.0" */
  readonly listenAddress?: string;
  /** @default 67 */
  readonly serverPort?: number;
  /** @default 68 */
  readonly clientPort?: number;
  /** ProxyDHCP's PXE boot-server port (PXE spec 2.1 §2.2.1). @default 4011 */
  readonly proxyPort?: number;
  /** Where broadcast replies go; a subnet-directed broadcast pins them to one interface (ADR 0004). @default "255.255.255.255" */
  readonly broadcastAddress?: string;
}

export interface ResolvedSubnet {
  readonly cidr: string;
  readonly subnet: Subnet;
  readonly pool?: { readonly start: number; readonly end: number };
  readonly router?: string;
  readonly dnsServers: readonly string[];
  readonly leaseSeconds: number;
}

export interface DhcpConfig {
  readonly mode: DhcpMode;
  readonly serverAddress: string;
  readonly tftpServer: string;
  readonly httpBaseUrl: string;
  readonly scriptUrl: string;
  readonly bootFiles: BootFiles;
  readonly anvilUserClass: string;
  readonly chainloadForeignIpxe: boolean;
  readonly ipxeNoProxyDhcp: boolean;
  readonly subnets: readonly ResolvedSubnet[];
  readonly leaseFile: string | undefined;
  readonly leaseFileFsync: boolean;
  readonly routerAdvertisements: RouterAdvertiserConfig | undefined;
  readonly listenAddress: string;
  readonly serverPort: number;
  readonly clientPort: number;
  readonly proxyPort: number;
  readonly broadcastAddress: string;
}

function ip(value: unknown, what: string): string {
  if (typeof value !== "string" || parseIpv4(value) === undefined) throw new DhcpConfigError(`${what} must be an IPv4 address`);
  return value;
}

function port(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) throw new DhcpConfigError(`${what} must be a port`);
  return value;
}

function resolveSubnet(s: SubnetConfig, i: number): ResolvedSubnet {
  const subnet = parseCidr(s.cidr);
  if (!subnet) throw new DhcpConfigError(`subnets[${i}].cidr must be a CIDR such as 10.0.0.0/24`);
  let pool: ResolvedSubnet["pool"];
  if (s.pool) {
    const start = parseIpv4(ip(s.pool.start, `subnets[${i}].pool.start`))!;
    const end = parseIpv4(ip(s.pool.end, `subnets[${i}].pool.end`))!;
    if (start > end || !inSubnet(start, subnet) || !inSubnet(end, subnet)) {
      throw new DhcpConfigError(`subnets[${i}].pool must be an ascending range inside ${s.cidr}`);
    }
    pool = { start, end };
  }
  const leaseSeconds = s.leaseSeconds ?? 3600;
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 60) throw new DhcpConfigError(`subnets[${i}].leaseSeconds must be an integer >= 60`);
  return {
    cidr: s.cidr,
    subnet,
    pool,
    router: s.router === undefined ? undefined : ip(s.router, `subnets[${i}].router`),
    dnsServers: (s.dnsServers ?? []).map((d, j) => ip(d, `subnets[${i}].dnsServers[${j}]`)),
    leaseSeconds,
  };
}

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash or whitespace. */
const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

function resolveRouterAdvertisements(input: DhcpConfigInput["routerAdvertisements"]): RouterAdvertiserConfig | undefined {
  if (input === undefined) return undefined;
  if (typeof input.interface !== "string" || !IFNAME.test(input.interface)) throw new DhcpConfigError("routerAdvertisements.interface must be a network interface name");
  const command = input.command ?? "/usr/sbin/dnsmasq";
  if (typeof command !== "string" || !command.startsWith("/")) throw new DhcpConfigError("routerAdvertisements.command must be an absolute path");
  const intervalSeconds = input.intervalSeconds ?? 30;
  // RFC 4861 §6.2.1: MaxRtrAdvInterval is 4-1800 s.
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 4 || intervalSeconds > 1800) throw new DhcpConfigError("routerAdvertisements.intervalSeconds must be an integer 4-1800");
  return { interface: input.interface, command, intervalSeconds };
}

export function resolveConfig(input: DhcpConfigInput): DhcpConfig {
  if (!["reservation", "proxy", "off"].includes(input.mode)) throw new DhcpConfigError("mode must be reservation, proxy or off");
  const serverAddress = ip(input.serverAddress, "serverAddress");
  const httpBaseUrl = (input.httpBaseUrl ?? `http://${serverAddress}`).replace(/\/+$/, "");
  const subnets = (input.subnets ?? []).map(resolveSubnet);
  if (input.mode === "reservation" && subnets.length === 0) throw new DhcpConfigError("reservation mode needs at least one subnet");
  return {
    mode: input.mode,
    serverAddress,
    tftpServer: input.tftpServer === undefined ? serverAddress : ip(input.tftpServer, "tftpServer"),
    httpBaseUrl,
    scriptUrl: input.scriptUrl ?? `${httpBaseUrl}/boot.ipxe`,
    bootFiles: {
      bios: input.bootFiles?.bios ?? "undionly.kpxe",
      uefiX64: input.bootFiles?.uefiX64 ?? "ipxe.efi",
      uefiArm64: input.bootFiles?.uefiArm64 ?? "ipxe-arm64.efi",
    },
    anvilUserClass: input.anvilUserClass ?? "Anvil",
    chainloadForeignIpxe: input.chainloadForeignIpxe ?? false,
    ipxeNoProxyDhcp: input.ipxeNoProxyDhcp ?? input.mode === "reservation",
    subnets,
    leaseFile: input.leaseFile,
    leaseFileFsync: input.leaseFileFsync ?? true,
    routerAdvertisements: resolveRouterAdvertisements(input.routerAdvertisements),
    listenAddress: input.listenAddress === undefined ? "0.0.0.0" : ip(input.listenAddress, "listenAddress"),
    serverPort: port(input.serverPort, 67, "serverPort"),
    clientPort: port(input.clientPort, 68, "clientPort"),
    proxyPort: port(input.proxyPort, 4011, "proxyPort"),
    broadcastAddress: input.broadcastAddress === undefined ? "255.255.255.255" : ip(input.broadcastAddress, "broadcastAddress"),
  };
}
