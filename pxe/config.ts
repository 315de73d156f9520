/**
 * The configuration file of `anvil pxe serve --config FILE` (YAML or JSON):
 * one provisioning address, the DHCP mode, the TFTP root and iPXE binaries,
 * the HTTP port and assets, and the hosts file of the file backend.
 * `resolvePxeConfig` validates a parsed document and fills every default, so
 * the services only ever see a complete config. docs/pxe.md is the reference.
 */
import path from "node:path";
import { resolveConfig as resolveDhcpConfig, type DhcpConfig, type DhcpConfigInput } from "./dhcp/config.js";
import { TRANSFER_DEFAULTS, type TftpEngine } from "./tftp/transfer.js";

export class PxeConfigError extends Error {
  override readonly name = "PxeConfigError";
  readonly code = "PXE_CONFIG_INVALID";
}

export interface PxeConfig {
  /** Anvil's IPv4 address on the provisioning network. */
  readonly serverAddress: string;
  /** Absolute path of the file backend's hosts file. */
  readonly hostsFile: string;
  readonly dhcp: DhcpConfig;
  readonly tftp: TftpConfig | undefined;
  readonly http: HttpConfig | undefined;
  readonly ramdisk: RamdiskDefaults;
}

export interface TftpConfig {
  readonly address: string;
  /** @default 69 */
  readonly port: number;
  /** Static root for anything beyond the iPXE binaries; none means only the binaries are served. */
  readonly root: string | undefined;
  /** Directory of Debian's `ipxe` package. @default "/usr/lib/ipxe" */
  readonly ipxeDir: string;
  /** File names served from `ipxeDir`. @default ["undionly.kpxe", "ipxe.efi", "snponly.efi"] */
  readonly ipxeFiles: readonly string[];
  /** RFC 2348 block size ceiling: 1468 fits a 1500-byte MTU. @default 1468 */
  readonly maxBlockSize: number;
  /** RFC 7440 window ceiling. @default 64 */
  readonly maxWindowSize: number;
  /** Retransmission interval unless the client negotiates `timeout`. @default 1000 */
  readonly timeoutMs: number;
  /** @default 5 */
  readonly maxRetries: number;
  /** Which engine moves the blocks (ADR 0028): `auto` uses the native pump when it loads. @default "auto" */
  readonly engine: TftpEngine;
  /** Native engine: microseconds of busy polling after a packet (ADR 0029); 0 = off. @default 50 */
  readonly busyPollMicros: number;
}

/**
 * The TFTP settings a config gets when it names none: one place for
 * `resolvePxeConfig` and `anvil manager` (cmd/manager-boot-config.ts); the
 * transfer numbers are the server's own (pxe/tftp/transfer.ts).
 */
export const TFTP_DEFAULTS = {
  ipxeDir: "/usr/lib/ipxe",
  ipxeFiles: ["undionly.kpxe", "ipxe.efi", "snponly.efi"],
  ...TRANSFER_DEFAULTS,
  engine: "auto",
} as const satisfies Omit<TftpConfig, "address" | "port" | "root">;

export interface HttpConfig {
  readonly address: string;
  /** @default 8080 */
  readonly port: number;
  /** How machines reach it. @default `http://<serverAddress>:<port>` */
  readonly publicUrl: string;
  /** Served under `/assets/`. */
  readonly assetsDir: string | undefined;
}

export interface RamdiskDefaults {
  /** Relative kernel/initrd URLs in the hosts file resolve against this. @default `<publicUrl>/assets/` */
  readonly baseUrl: string | undefined;
  /** Appended to every ramdisk's kernel arguments. */
  readonly kernelArgs: string | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function section(doc: Obj, key: string): Obj | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new PxeConfigError(`${key} must be an object`);
  return v;
}
function optString(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0) throw new PxeConfigError(`${where}.${key} must be a non-empty string`);
  return v;
}
function optInt(o: Obj, key: string, where: string, min: number, max: number, fallback: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new PxeConfigError(`${where}.${key} must be an integer ${min}-${max}`);
  return v;
}
function optIp(o: Obj, key: string, where: string, fallback: string): string {
  const v = optString(o, key, where) ?? fallback;
  if (!IPV4.test(v)) throw new PxeConfigError(`${where}.${key} must be an IPv4 address`);
  return v;
}
const ENGINES: readonly TftpEngine[] = ["auto", "native", "js"];
function optEngine(o: Obj): TftpEngine {
  const v = optString(o, "engine", "tftp") ?? TFTP_DEFAULTS.engine;
  if (!(ENGINES as readonly string[]).includes(v)) throw new PxeConfigError(`tftp.engine must be one of ${ENGINES.join(", ")}`);
  return v as TftpEngine;
}
function enabled(o: Obj | undefined, where: string): boolean {
  const v = o?.enabled;
  if (v !== undefined && typeof v !== "boolean") throw new PxeConfigError(`${where}.enabled must be true or false`);
  return v !== false;
}

/**
 * Validates a parsed config document. Relative paths resolve against
 * `baseDir` (the config file's directory).
 */
export function resolvePxeConfig(doc: unknown, baseDir: string): PxeConfig {
  if (!isObj(doc)) throw new PxeConfigError("the config must be an object");
  const serverAddress = optString(doc, "serverAddress", "config");
  if (serverAddress === undefined || !IPV4.test(serverAddress)) throw new PxeConfigError("serverAddress must be an IPv4 address");
  const hostsFile = optString(doc, "hostsFile", "config");
  if (hostsFile === undefined) throw new PxeConfigError("hostsFile is required (the file backend's hosts)");
  const abs = (p: string): string => path.resolve(baseDir, p);

  const t = section(doc, "tftp");
  const tftp: TftpConfig | undefined = enabled(t, "tftp")
    ? {
        address: optIp(t ?? {}, "address", "tftp", serverAddress),
        port: optInt(t ?? {}, "port", "tftp", 0, 65535, 69),
        root: t && optString(t, "root", "tftp") !== undefined ? abs(optString(t, "root", "tftp")!) : undefined,
        ipxeDir: abs((t && optString(t, "ipxeDir", "tftp")) ?? TFTP_DEFAULTS.ipxeDir),
        ipxeFiles: stringList(t?.ipxeFiles, "tftp.ipxeFiles") ?? TFTP_DEFAULTS.ipxeFiles,
        // RFC 2348 §2: 8-65464.
        maxBlockSize: optInt(t ?? {}, "maxBlockSize", "tftp", 8, 65464, TFTP_DEFAULTS.maxBlockSize),
        // RFC 7440 §4: 1-65535.
        maxWindowSize: optInt(t ?? {}, "maxWindowSize", "tftp", 1, 65535, TFTP_DEFAULTS.maxWindowSize),
        timeoutMs: optInt(t ?? {}, "timeoutMs", "tftp", 10, 255_000, TFTP_DEFAULTS.timeoutMs),
        maxRetries: optInt(t ?? {}, "maxRetries", "tftp", 0, 100, TFTP_DEFAULTS.maxRetries),
        engine: optEngine(t ?? {}),
        busyPollMicros: optInt(t ?? {}, "busyPollMicros", "tftp", 0, 1_000_000, TFTP_DEFAULTS.busyPollMicros),
      }
    : undefined;

  const h = section(doc, "http");
  let http: HttpConfig | undefined;
  if (enabled(h, "http")) {
    const port = optInt(h ?? {}, "port", "http", 0, 65535, 8080);
    const assetsDir = h ? optString(h, "assetsDir", "http") : undefined;
    http = {
      address: optIp(h ?? {}, "address", "http", serverAddress),
      port,
      publicUrl: ((h && optString(h, "publicUrl", "http")) ?? `http://${serverAddress}:${port}`).replace(/\/+$/, ""),
      assetsDir: assetsDir === undefined ? undefined : abs(assetsDir),
    };
  }

  const r = section(doc, "ramdisk") ?? {};
  const ramdisk: RamdiskDefaults = {
    baseUrl: optString(r, "baseUrl", "ramdisk") ?? (http ? `${http.publicUrl}/assets/` : undefined),
    kernelArgs: optString(r, "kernelArgs", "ramdisk"),
  };

  const d = section(doc, "dhcp") ?? { mode: "off" };
  let dhcp: DhcpConfig;
  try {
    const input = { serverAddress, ...(http ? { httpBaseUrl: http.publicUrl } : {}), ...d } as unknown as DhcpConfigInput;
    dhcp = resolveDhcpConfig({ ...input, leaseFile: input.leaseFile === undefined ? undefined : abs(input.leaseFile) });
  } catch (err) {
    throw new PxeConfigError(`dhcp: ${err instanceof Error ? err.message : String(err)}`);
  }

  return { serverAddress, hostsFile: abs(hostsFile), dhcp, tftp, http, ramdisk };
}

function stringList(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || s.length === 0 || s.includes("/"))) {
    throw new PxeConfigError(`${where} must be a list of file names`);
  }
  return v as string[];
}
