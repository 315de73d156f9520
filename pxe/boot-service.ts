/**
 * Starts DHCP, TFTP and HTTP from one config under one AbortSignal: aborting
 * the signal (or calling `close`) stops all three. If one service cannot
 * start, the ones already started are stopped before the error surfaces.
 */
import path from "node:path";
import type { AgentBackend } from "./agent-backend.js";
import type { BootBackend, BootRecord } from "./boot-backend.js";
import type { PxeConfig, RamdiskDefaults } from "./config.js";
import type { DhcpServer } from "./dhcp/server.js";
import { startDhcpService } from "./dhcp/service.js";
import type { HttpAccessEvent } from "./http/access-log.js";
import { agentApi, type AgentApiOptions, type AgentRoute } from "./http/agent-api.js";
import { AgentApiCounters } from "./http/agent-api-counters.js";
import { BootHttpServer, type AgentHandler } from "./http/server.js";
import { TftpServer, type TftpLogEvent } from "./tftp/server.js";

/** A failed AgentBackend call (the agent got 503 and retries); `message` never holds the host's token. */
export interface AgentBackendErrorEvent {
  readonly event: "agent-backend-error";
  readonly route: AgentRoute;
  readonly host: string;
  readonly message: string;
}

export type BootServiceLogEvent = TftpLogEvent | HttpAccessEvent | AgentBackendErrorEvent | { readonly event: "dhcp"; readonly line: string };

export interface BootServiceOptions {
  readonly signal?: AbortSignal;
  readonly log?: (e: BootServiceLogEvent) => void;
  /** The deploy agent's API answers from this (pxe/http/agent-api.ts); takes precedence over `agent`. */
  readonly agentBackend?: AgentBackend;
  /** Limits and timeouts of that API; `counters` and `onBackendError` are set by the service. */
  readonly agentApi?: Omit<AgentApiOptions, "counters" | "onBackendError">;
  /** A hand-written agent handler, used only without `agentBackend`. */
  readonly agent?: AgentHandler;
}

export interface BootService {
  readonly dhcp: DhcpServer | undefined;
  readonly tftp: TftpServer | undefined;
  readonly tftpAddress: { address: string; port: number } | undefined;
  readonly http: BootHttpServer | undefined;
  readonly httpAddress: { address: string; port: number } | undefined;
  /** The agent API's accepted and refused calls (refusals by code, 401/403 included). */
  readonly agentCounters: AgentApiCounters;
  close(): Promise<void>;
}

/**
 * Lets a hosts file name the ramdisk by relative URLs (`vmlinuz`) resolved
 * against the configured base, and appends site-wide kernel arguments.
 */
export function withRamdiskDefaults(backend: BootBackend, defaults: RamdiskDefaults): BootBackend {
  const apply = (r: BootRecord | undefined): BootRecord | undefined => {
    if (!r || r.action.kind !== "ramdisk") return r;
    const abs = (u: string): string => (defaults.baseUrl && !/^[a-z][a-z0-9+.-]*:/i.test(u) ? new URL(u, defaults.baseUrl).toString() : u);
    const args = [r.action.kernelArgs, defaults.kernelArgs].filter((a): a is string => a !== undefined && a.length > 0).join(" ");
    return { ...r, action: { ...r.action, kernelUrl: abs(r.action.kernelUrl), initrdUrl: abs(r.action.initrdUrl), ...(args ? { kernelArgs: args } : {}) } };
  };
  return {
    byMac: async (mac, signal) => apply(await backend.byMac(mac, signal)),
    ...(backend.byToken ? { byToken: async (token: string, signal?: AbortSignal) => apply(await backend.byToken!(token, signal)) } : {}),
  };
}

export async function startBootService(cfg: PxeConfig, backend: BootBackend, opts: BootServiceOptions = {}): Promise<BootService> {
  const log = opts.log;
  const agentCounters = new AgentApiCounters();
  const effective = withRamdiskDefaults(backend, cfg.ramdisk);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    const all = stops.splice(0).reverse();
    await Promise.allSettled(all.map((s) => s()));
  };
  try {
    let tftp: TftpServer | undefined;
    let tftpAddress: BootService["tftpAddress"];
    if (cfg.tftp) {
      const t = cfg.tftp;
      tftp = new TftpServer({
        address: t.address,
        port: t.port,
        root: t.root,
        fixed: new Map(t.ipxeFiles.map((f) => [f, path.join(t.ipxeDir, f)])),
        limits: { maxBlockSize: t.maxBlockSize, maxWindowSize: t.maxWindowSize, defaultTimeoutMs: t.timeoutMs },
        maxRetries: t.maxRetries,
        engine: t.engine,
        busyPollMicros: t.busyPollMicros,
        log,
      });
      tftpAddress = await tftp.listen();
      const s = tftp;
      stops.push(() => s.close());
    }
    let http: BootHttpServer | undefined;
    let httpAddress: BootService["httpAddress"];
    if (cfg.http) {
      const h = cfg.http;
      const ipxeDir = cfg.tftp?.ipxeDir ?? "/usr/lib/ipxe";
      const ipxeFiles = cfg.tftp?.ipxeFiles ?? ["undionly.kpxe", "ipxe.efi", "snponly.efi"];
      const agentBackend = opts.agentBackend;
      const agent = agentBackend
        ? agentApi(agentBackend, { ...opts.agentApi, counters: agentCounters, onBackendError: (e) => log?.({ event: "agent-backend-error", ...e }) })
        : opts.agent;
      http = new BootHttpServer({
        backend: effective,
        publicUrl: h.publicUrl,
        address: h.address,
        port: h.port,
        assetsDir: h.assetsDir,
        ipxeBinaries: new Map(ipxeFiles.map((f) => [f, path.join(ipxeDir, f)])),
        agent,
        agentRejected: (code) => agentCounters.reject(code),
        log,
      });
      httpAddress = await http.listen();
      const s = http;
      stops.push(() => s.close());
    }
    const dhcp = await startDhcpService(cfg.dhcp, effective, { log: log ? (line) => log({ event: "dhcp", line }) : undefined });
    if (dhcp) stops.push(() => dhcp.close());

    let closing: Promise<void> | undefined;
    const onAbort = (): void => void close();
    // A service closed directly lets go of a signal that may outlive it (the manager's, for one).
    const close = (): Promise<void> => {
      opts.signal?.removeEventListener("abort", onAbort);
      return (closing ??= stopAll());
    };
    if (opts.signal) {
      if (opts.signal.aborted) await close();
      else opts.signal.addEventListener("abort", onAbort, { once: true });
    }
    return { dhcp, tftp, tftpAddress, http, httpAddress, agentCounters, close };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
