/**
 * Parses a BareMetalHost `bmc.address` into a typed target, with Metal3's
 * schemes and vendor aliases (baremetal-operator `pkg/hardwareutils/bmc`).
 * The parser never echoes userinfo: every message uses `redactAddress`.
 */
import { BmcError, BmcErrorCode } from "./errors.js";

/** IPMI v2.0 §6.8 privilege levels, as Metal3 spells them in `?privilegelevel=`. */
export type IpmiPrivilegeLevel = "CALLBACK" | "USER" | "OPERATOR" | "ADMINISTRATOR";

export interface IpmiTarget {
  readonly protocol: "ipmi";
  /** The scheme as written (`ipmi`, `libvirt`, or `ipmi` for a bare host:port). */
  readonly scheme: string;
  /** Host name or IP literal, IPv6 without brackets. */
  readonly host: string;
  /** UDP port. @default 623 (IPMI v2.0 §13.1.1, RMCP primary port) */
  readonly port: number;
  /** @default "ADMINISTRATOR" (Metal3's default) */
  readonly privilegeLevel?: IpmiPrivilegeLevel;
}

/** How the host is booted when Anvil provisions it; the driver is Redfish in every case. */
export type RedfishBootMethod = "ipxe" | "virtual-media" | "uefi-http";
export type RedfishVendor = "generic" | "idrac" | "ilo5";

export interface RedfishTarget {
  readonly protocol: "redfish";
  readonly scheme: string;
  readonly vendor: RedfishVendor;
  readonly bootMethod: RedfishBootMethod;
  /** `https` unless the scheme carries `+http` (Metal3: "the default transport is https"). */
  readonly transport: "http" | "https";
  readonly host: string;
  readonly port: number | undefined;
  /** `transport://host[:port]`, IPv6 in brackets, no trailing slash. */
  readonly baseUrl: string;
  /** The System's path (e.g. `/redfish/v1/Systems/1`); undefined asks for discovery. */
  readonly systemPath: string | undefined;
}

export type BmcTarget = IpmiTarget | RedfishTarget;

interface RedfishAlias {
  readonly vendor: RedfishVendor;
  readonly bootMethod: RedfishBootMethod;
}

/** Metal3's Redfish-family schemes; each also accepts `+http` and `+https`. */
const REDFISH_SCHEMES: ReadonlyMap<string, RedfishAlias> = new Map([
  ["redfish", { vendor: "generic", bootMethod: "ipxe" }],
  ["redfish-virtualmedia", { vendor: "generic", bootMethod: "virtual-media" }],
  ["redfish-uefihttp", { vendor: "generic", bootMethod: "uefi-http" }],
  ["idrac-redfish", { vendor: "idrac", bootMethod: "ipxe" }],
  ["idrac-virtualmedia", { vendor: "idrac", bootMethod: "virtual-media" }],
  ["ilo5-redfish", { vendor: "ilo5", bootMethod: "ipxe" }],
  ["ilo5-virtualmedia", { vendor: "ilo5", bootMethod: "virtual-media" }],
]);

/** Metal3's IPMI schemes; `libvirt` is IPMI in front of VirtualBMC. */
const IPMI_SCHEMES: ReadonlySet<string> = new Set(["ipmi", "libvirt"]);

/** Schemes Metal3 knows (or knew) that speak a vendor protocol Anvil does not implement. */
const VENDOR_PROTOCOL_SCHEMES: ReadonlyMap<string, string> = new Map([
  ["idrac", "iDRAC WS-Man; use idrac-redfish://"],
  ["ilo4", "HPE iLO 4 proliantutils; use redfish://"],
  ["ilo4-virtualmedia", "HPE iLO 4 proliantutils; use redfish-virtualmedia://"],
  ["ilo5", "HPE iLO 5 proliantutils; use ilo5-redfish://"],
  ["irmc", "Fujitsu iRMC SCCI; use redfish://"],
  ["ibmc", "Huawei iBMC; use redfish://"],
]);

const IPMI_DEFAULT_PORT = 623;
const PRIVILEGE_LEVELS: readonly IpmiPrivilegeLevel[] = ["CALLBACK", "USER", "OPERATOR", "ADMINISTRATOR"];

/** The address with any `user:password@` removed, safe for logs and error messages. */
export function redactAddress(address: string): string {
  return address.replace(/^([^/]*\/\/)[^/?#]*@/, "$1");
}

function invalid(address: string, why: string): BmcError {
  return new BmcError(BmcErrorCode.InvalidAddress, `invalid BMC address "${redactAddress(address)}": ${why}`);
}

/** RFC 1123 §2.1 host names, or an IPv4/IPv6 literal. */
function checkHost(address: string, host: string): void {
  if (host === "") throw invalid(address, "no host");
  if (host.includes(":")) return; // IPv6 literal; the URL parser already validated it
  const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
  if (!host.split(".").every((l) => label.test(l))) throw invalid(address, `"${host}" is not a host name or IP address`);
}

function parsePort(address: string, raw: string): number | undefined {
  if (raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(address, `port ${raw} is out of range`);
  return port;
}

function unbracket(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

function parsePrivilege(address: string, url: URL): IpmiPrivilegeLevel {
  const raw = url.searchParams.get("privilegelevel");
  if (raw === null) return "ADMINISTRATOR";
  const level = PRIVILEGE_LEVELS.find((l) => l === raw.toUpperCase());
  if (level === undefined) throw invalid(address, `privilegelevel must be one of ${PRIVILEGE_LEVELS.join(", ")}`);
  return level;
}

function ipmiTarget(address: string, scheme: string, url: URL): IpmiTarget {
  const host = unbracket(url.hostname.toLowerCase());
  checkHost(address, host);
  return {
    protocol: "ipmi",
    scheme,
    host,
    port: parsePort(address, url.port) ?? IPMI_DEFAULT_PORT,
    privilegeLevel: parsePrivilege(address, url),
  };
}

/** Metal3 treats the bare `/redfish/v1` service root as "no System named". */
function systemPathOf(pathname: string): string | undefined {
  const trimmed = pathname.replace(/\/+$/, "");
  if (trimmed === "" || trimmed === "/redfish/v1") return undefined;
  return trimmed;
}

function redfishTarget(address: string, scheme: string, alias: RedfishAlias, transport: "http" | "https", url: URL): RedfishTarget {
  const bracketed = url.hostname.toLowerCase();
  const host = unbracket(bracketed);
  checkHost(address, host);
  const port = parsePort(address, url.port);
  return {
    protocol: "redfish",
    scheme,
    vendor: alias.vendor,
    bootMethod: alias.bootMethod,
    transport,
    host,
    port,
    baseUrl: `${transport}://${bracketed}${port === undefined ? "" : `:${port}`}`,
    systemPath: systemPathOf(url.pathname),
  };
}

/**
 * Parses a BMC address. Throws BmcError `BMC_INVALID_ADDRESS` for anything
 * unparseable or an unknown scheme, `BMC_NOT_SUPPORTED` for a Metal3 scheme
 * whose vendor protocol Anvil does not speak.
 */
export function parseBmcAddress(address: string): BmcTarget {
  const trimmed = address.trim();
  if (trimmed === "") throw invalid(address, "empty");
  // Metal3 accepts a bare `host[:port]` (no "://") as IPMI.
  const withScheme = trimmed.includes("://") ? trimmed : `ipmi://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(address, "not a URL");
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid(address, "credentials belong in the credentials Secret, not in the address");
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase();
  if (IPMI_SCHEMES.has(scheme)) return ipmiTarget(address, scheme, url);

  const [base = "", transportSuffix, ...rest] = scheme.split("+");
  const alias = REDFISH_SCHEMES.get(base);
  if (alias !== undefined && rest.length === 0) {
    if (transportSuffix === undefined || transportSuffix === "https") return redfishTarget(address, scheme, alias, "https", url);
    if (transportSuffix === "http") return redfishTarget(address, scheme, alias, "http", url);
  }
  const vendor = VENDOR_PROTOCOL_SCHEMES.get(base);
  if (vendor !== undefined) {
    throw new BmcError(BmcErrorCode.NotSupported, `BMC address scheme "${scheme}" (${vendor}) is not supported`);
  }
  throw invalid(address, `unknown scheme "${scheme}"`);
}
