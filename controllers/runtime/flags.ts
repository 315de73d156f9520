/**
 * The runtime's command-line flags, named as controller-runtime managers
 * name them (`--kube-api-qps`, `--leader-elect`, `--metrics-bind-address`)
 * so operators find them where they expect. Other flags are left for the
 * composition root to parse.
 */
import { parseArgs } from "node:util";

export interface RuntimeFlags {
  /** @default 50 */
  readonly qps: number;
  /** @default 100 */
  readonly burst: number;
  /** Workers per controller. @default 4 */
  readonly concurrency: number;
  /** @default false */
  readonly leaderElect: boolean;
  /** @default "anvil-system" */
  readonly leaderElectionNamespace: string;
  /** @default "anvil-manager" */
  readonly leaderElectionId: string;
  /** host:port of /metrics, /healthz, /readyz; "0" turns the server off. @default "127.0.0.1:8080" */
  readonly metricsBindAddress: string;
  /** Watch one namespace only; empty for all. @default "" */
  readonly namespace: string;
}

export class FlagError extends Error {
  override readonly name = "FlagError";
  readonly code = "RUNTIME_FLAG_INVALID";
}

export function runtimeFlagsFrom(argv: readonly string[]): RuntimeFlags {
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: {
      "kube-api-qps": { type: "string" },
      "kube-api-burst": { type: "string" },
      concurrency: { type: "string" },
      "leader-elect": { type: "boolean" },
      "leader-election-namespace": { type: "string" },
      "leader-election-id": { type: "string" },
      "metrics-bind-address": { type: "string" },
      namespace: { type: "string" },
    },
  });
  const str = (k: string, d: string): string => {
    const v = values[k];
    if (v === undefined) return d;
    if (typeof v !== "string") throw new FlagError(`--${k} needs a value`);
    return v;
  };
  const num = (k: string, d: number, integer: boolean): number => {
    const raw = str(k, String(d));
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new FlagError(`--${k} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };
  return {
    qps: num("kube-api-qps", 50, false),
    burst: num("kube-api-burst", 100, true),
    concurrency: num("concurrency", 4, true),
    leaderElect: boolFlag("leader-elect", values["leader-elect"]),
    leaderElectionNamespace: str("leader-election-namespace", "anvil-system"),
    leaderElectionId: str("leader-election-id", "anvil-manager"),
    metricsBindAddress: str("metrics-bind-address", "127.0.0.1:8080"),
    namespace: str("namespace", ""),
  };
}

/**
 * A boolean flag as Deployments write it: bare `--leader-elect`, or
 * `--leader-elect=true|false` (parseArgs hands the `=value` form over as a string).
 */
function boolFlag(name: string, v: string | boolean | (string | boolean)[] | undefined): boolean {
  if (v === undefined || v === false || v === "false") return false;
  if (v === true || v === "true") return true;
  throw new FlagError(`--${name} must be true or false, got ${JSON.stringify(v)}`);
}

/** Splits `host:port` (IPv6 as `[::1]:8080`); "0" means no server. */
export function bindAddress(s: string): { host: string; port: number } | false {
  if (s === "0") return false;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65_535) throw new FlagError(`--metrics-bind-address must be host:port, got ${JSON.stringify(s)}`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}
