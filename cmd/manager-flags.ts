/**
 * The flags of `anvil manager`. The manager Deployment (manifests/manager/
 * manager.yaml, docs/release.md) passes them as `--name=value`, Go-flag
 * style, including `--leader-elect=true`, so booleans take `=true|false` as
 * well as the bare form. Unknown flags are an error: a typo in a Deployment
 * must stop the pod, not be ignored. Exit code 2 (usage) for any of these.
 */
import { runtimeFlagsFrom, FlagError, type LogLevel, type RuntimeFlags } from "../controllers/runtime/index.js";

export class ManagerFlagError extends Error {
  override readonly name = "ManagerFlagError";
  readonly code = "MANAGER_FLAG_INVALID";
  /** Process exit code for usage errors, as `anvil bmc` uses it (docs/cli.md). */
  readonly exitCode = 2;
}

export type DhcpModeFlag = "reservation" | "proxy" | "off";

export interface ManagerSettings {
  readonly runtime: RuntimeFlags;
  readonly logLevel: LogLevel;
  /** `undefined`: KUBECONFIG, else in-cluster, else ~/.kube/config (client-node's loadFromDefault). */
  readonly kubeconfig: string | undefined;
  readonly provisioningInterface: string;
  /** The node's IPv4 address on the provisioning network; DHCP's option 54, TFTP's and the scripts' host. */
  readonly provisioningAddress: string;
  readonly dhcpMode: DhcpModeFlag;
  readonly dhcpRange: { readonly start: string; readonly end: string };
  /** Where the HTTP server binds. @default "0.0.0.0" (tests use 127.0.0.1) */
  readonly httpAddress: string;
  readonly httpPort: number;
  /** `undefined`: no TFTP server (`--tftp-port=off`). @default 69 */
  readonly tftpPort: number | undefined;
  /** Served under `/assets/` when given (the ramdisk kernel and initramfs). */
  readonly assetsDir: string | undefined;
  readonly ramdisk: { readonly kernelUrl: string; readonly initrdUrl: string; readonly kernelArgs?: string };
  /** Hosts in the ramdisk at once (inspecting, provisioning, deprovisioning); `undefined`: the controller's default. */
  readonly provisioningLimit: number | undefined;
  /** BMC operations in flight at once across every host (a power change counts until the BMC reports it). */
  readonly bmcConcurrency: number;
  /** Print the usage and exit 0. */
  readonly help: boolean;
}

type Kind = "string" | "boolean";

/** Every flag `anvil manager` takes; the runtime's own are validated by runtimeFlagsFrom. */
const FLAGS: Readonly<Record<string, Kind>> = {
  // docs/release.md's contract with the Deployment
  namespace: "string",
  "leader-elect": "boolean",
  "leader-election-namespace": "string",
  "probe-address": "string",
  "log-level": "string",
  "provisioning-interface": "string",
  "provisioning-address": "string",
  "dhcp-mode": "string",
  "dhcp-range": "string",
  "http-port": "string",
  "ramdisk-kernel-url": "string",
  "ramdisk-initrd-url": "string",
  // the rest of controllers/runtime/flags.ts
  "kube-api-qps": "string",
  "kube-api-burst": "string",
  concurrency: "string",
  "leader-election-id": "string",
  "metrics-bind-address": "string",
  // this command's own
  kubeconfig: "string",
  "http-address": "string",
  "tftp-port": "string",
  "assets-dir": "string",
  "ramdisk-kernel-args": "string",
  "provisioning-limit": "string",
  "bmc-concurrency": "string",
  help: "boolean",
};

export const MANAGER_USAGE = `usage: anvil manager [flags]

Runs the BareMetalHost controller and the boot service (DHCP, TFTP, HTTP/iPXE
and the deploy agent's API) in one process. docs/cli.md lists every flag.

  --kubeconfig FILE                 default: $KUBECONFIG, then in-cluster
  --namespace NS                    watch one namespace; "*" (default) all
  --leader-elect[=true|false]       --leader-election-namespace, --leader-election-id
  --probe-address HOST:PORT         /healthz, /readyz, /metrics (default 127.0.0.1:8080; "0" none)
  --log-level debug|info|warn|error
  --provisioning-interface IF       --provisioning-address IPV4
  --dhcp-mode reservation|proxy|off --dhcp-range START-END
  --http-address IPV4               --http-port PORT (default 6180)
  --tftp-port PORT|off              default 69
  --assets-dir DIR                  served under /assets/
  --ramdisk-kernel-url URL          --ramdisk-initrd-url URL  --ramdisk-kernel-args ARGS
  --provisioning-limit N            hosts in the ramdisk at once
  --bmc-concurrency N               BMC operations in flight at once (default 100)
  --kube-api-qps N --kube-api-burst N --concurrency N`;

/**
 * A power change holds its BMC slot until the BMC reports the new state (1–11 s on
 * sushy-tools' fake driver); 100 slots keep a 1000-host fleet's boots (about two power
 * changes per ramdisk boot) from queueing behind 16 (the BMC layer's own default),
 * and each waiting operation polls its BMC twice a second at most (ADR 0021).
 */
export const DEFAULT_BMC_CONCURRENCY = 100;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Splits argv into `name → value` (booleans as "true"/"false"); the last occurrence wins, as Go's flag package does. */
function tokenize(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ManagerFlagError(`unexpected argument ${JSON.stringify(arg)} (flags only)`);
    const name = m[1] === "h" ? "help" : m[1]!;
    const kind = FLAGS[name];
    if (kind === undefined) throw new ManagerFlagError(`unknown flag --${name}`);
    let value = m[2];
    if (kind === "boolean") {
      value ??= "true";
      if (value !== "true" && value !== "false") throw new ManagerFlagError(`--${name} takes true or false, got ${JSON.stringify(value)}`);
    } else if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new ManagerFlagError(`--${name} needs a value`);
      i++;
    }
    out.set(name, value);
  }
  return out;
}

function port(name: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65_535) throw new ManagerFlagError(`--${name} must be a port 1-65535, got ${JSON.stringify(raw)}`);
  return n;
}

function ipv4(name: string, raw: string): string {
  if (!IPV4.test(raw)) throw new ManagerFlagError(`--${name} must be an IPv4 address, got ${JSON.stringify(raw)}`);
  return raw;
}

function httpUrl(name: string, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ManagerFlagError(`--${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ManagerFlagError(`--${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return raw;
}

/** `a.b.c.d-e.f.g.h`, ascending (compared as 32-bit numbers). */
function range(raw: string): { start: string; end: string } {
  const [start, end, ...rest] = raw.split("-");
  if (start === undefined || end === undefined || rest.length > 0 || !IPV4.test(start) || !IPV4.test(end)) {
    throw new ManagerFlagError(`--dhcp-range must be START-END IPv4 addresses, got ${JSON.stringify(raw)}`);
  }
  const num = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  if (num(start) > num(end)) throw new ManagerFlagError(`--dhcp-range must ascend, got ${JSON.stringify(raw)}`);
  return { start, end };
}

export function parseManagerFlags(argv: readonly string[]): ManagerSettings {
  const v = tokenize(argv);
  const get = (name: string, dflt: string): string => v.get(name) ?? dflt;
  if (v.has("probe-address") && v.has("metrics-bind-address")) {
    throw new ManagerFlagError("--probe-address and --metrics-bind-address name the same listener; give one");
  }
  // runtimeFlagsFrom validates numbers and addresses; we hand it the normalised forms.
  const namespace = get("namespace", "*");
  const runtimeArgv = [
    ...[...v].filter(([k]) => ["kube-api-qps", "kube-api-burst", "concurrency", "leader-election-namespace", "leader-election-id"].includes(k)).map(([k, x]) => `--${k}=${x}`),
    `--namespace=${namespace === "*" ? "" : namespace}`,
    `--metrics-bind-address=${v.get("probe-address") ?? get("metrics-bind-address", "127.0.0.1:8080")}`,
    ...(v.get("leader-elect") === "true" ? ["--leader-elect"] : []),
  ];
  let runtime: RuntimeFlags;
  try {
    runtime = runtimeFlagsFrom(runtimeArgv);
  } catch (err) {
    if (err instanceof FlagError) throw new ManagerFlagError(err.message, { cause: err });
    throw err;
  }
  if (runtime.metricsBindAddress !== "0" && !/^(?:\[[^\]]+\]|[^:]*):\d{1,5}$/.test(runtime.metricsBindAddress)) {
    throw new ManagerFlagError(`--probe-address must be host:port or 0, got ${JSON.stringify(runtime.metricsBindAddress)}`);
  }
  if (runtime.namespace !== "" && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(runtime.namespace)) {
    throw new ManagerFlagError(`--namespace must be a namespace name or "*", got ${JSON.stringify(namespace)}`);
  }

  const logLevel = get("log-level", "info") as LogLevel;
  if (!LEVELS.includes(logLevel)) throw new ManagerFlagError(`--log-level must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);
  const dhcpMode = get("dhcp-mode", "reservation") as DhcpModeFlag;
  if (!["reservation", "proxy", "off"].includes(dhcpMode)) throw new ManagerFlagError(`--dhcp-mode must be reservation, proxy or off, got ${JSON.stringify(dhcpMode)}`);
  const provisioningAddress = ipv4("provisioning-address", get("provisioning-address", "172.22.0.2"));
  const httpPort = port("http-port", get("http-port", "6180"));
  const tftpRaw = get("tftp-port", "69");
  const limitRaw = v.get("provisioning-limit");
  if (limitRaw !== undefined && !/^[1-9]\d{0,5}$/.test(limitRaw)) throw new ManagerFlagError(`--provisioning-limit must be a positive integer, got ${JSON.stringify(limitRaw)}`);
  const bmcRaw = get("bmc-concurrency", String(DEFAULT_BMC_CONCURRENCY));
  if (!/^[1-9]\d{0,4}$/.test(bmcRaw)) throw new ManagerFlagError(`--bmc-concurrency must be a positive integer, got ${JSON.stringify(bmcRaw)}`);
  const kernelArgs = v.get("ramdisk-kernel-args");
  if (kernelArgs !== undefined && /[\r\n]/.test(kernelArgs)) throw new ManagerFlagError("--ramdisk-kernel-args must be one line");
  const assetsDir = v.get("assets-dir");
  const provisioningInterface = get("provisioning-interface", "eth1");
  if (provisioningInterface === "") throw new ManagerFlagError("--provisioning-interface must not be empty");
  const defaultAsset = (name: string): string => `http://${provisioningAddress}:${httpPort}/assets/${name}`;
  return {
    runtime,
    logLevel,
    kubeconfig: v.get("kubeconfig"),
    provisioningInterface,
    provisioningAddress,
    dhcpMode,
    dhcpRange: range(get("dhcp-range", "172.22.0.10-172.22.0.100")),
    httpAddress: ipv4("http-address", get("http-address", "0.0.0.0")),
    httpPort,
    tftpPort: tftpRaw === "off" ? undefined : port("tftp-port", tftpRaw),
    assetsDir: assetsDir === "" ? undefined : assetsDir,
    ramdisk: {
      kernelUrl: httpUrl("ramdisk-kernel-url", get("ramdisk-kernel-url", defaultAsset("anvil-ramdisk.kernel"))),
      initrdUrl: httpUrl("ramdisk-initrd-url", get("ramdisk-initrd-url", defaultAsset("anvil-ramdisk.initramfs"))),
      ...(kernelArgs ? { kernelArgs } : {}),
    },
    provisioningLimit: limitRaw === undefined ? undefined : Number(limitRaw),
    bmcConcurrency: Number(bmcRaw),
    help: v.get("help") === "true",
  };
}
