/**
 * The Redfish driver: one BmcClient per (BMC, System). Callers normally get
 * it through `connectBmc` (bmc/index.ts), which puts it behind the access
 * queue; using it bare skips deadlines, retries and serialisation.
 */
import type { RedfishTarget } from "../address.js";
import type { BmcClient, BmcCredentials } from "../types.js";
import { RedfishBoot } from "./boot.js";
import { RedfishHttp, type RedfishAuthMode } from "./http.js";
import { RedfishInventory } from "./inventory.js";
import { RedfishPower } from "./power.js";
import { SystemRef } from "./system.js";
import { RedfishVirtualMedia } from "./virtual-media.js";

export interface RedfishClientOptions {
  readonly credentials: BmcCredentials;
  /** Skip TLS verification (Metal3 `disableCertificateVerification`). @default false */
  readonly insecure?: boolean;
  /** PEM CA bundle trusted in addition to Node's roots. */
  readonly caBundle?: string;
  /** @default "auto" (a session when the service offers one, else Basic) */
  readonly auth?: RedfishAuthMode;
  /** Deadline of one HTTP exchange. @default 15_000 */
  readonly requestTimeoutMs?: number;
  /** @default 60_000 */
  readonly gracefulShutdownMs?: number;
  /** Delay between PowerState polls while waiting for a power action. @default 500 */
  readonly pollIntervalMs?: number;
}

/** `scheme://host[:port][/system]`: no credentials, safe to log. */
export function redfishDisplayAddress(target: RedfishTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const port = target.port !== undefined ? `:${target.port}` : "";
  return `${target.scheme}://${host}${port}${target.systemPath ?? ""}`;
}

export function createRedfishClient(target: RedfishTarget, options: RedfishClientOptions): BmcClient {
  const displayAddress = redfishDisplayAddress(target);
  const http = new RedfishHttp({
    baseUrl: target.baseUrl,
    displayAddress,
    credentials: options.credentials,
    insecure: options.insecure,
    caBundle: options.caBundle,
    auth: options.auth,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const system = new SystemRef(http, displayAddress, target.systemPath);
  return {
    driver: "redfish",
    displayAddress,
    power: new RedfishPower(http, system, displayAddress, {
      gracefulShutdownMs: options.gracefulShutdownMs,
      pollIntervalMs: options.pollIntervalMs,
    }),
    boot: new RedfishBoot(http, system, displayAddress),
    virtualMedia: new RedfishVirtualMedia(http, system, displayAddress),
    inventory: new RedfishInventory(http, system),
    close: () => http.close(),
  };
}

export type { RedfishAuthMode } from "./http.js";
