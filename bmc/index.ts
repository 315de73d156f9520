/**
 * The BMC layer's public entry: `connectBmc` parses the address, picks the
 * Redfish or IPMI driver, and puts the client behind the shared access queue
 * (deadline, retries, one operation per BMC, global concurrency limit).
 */
import { BmcAccessQueue, type AccessQueueOptions } from "./access-queue.js";
import { createIpmiClient } from "./ipmi/index.js";
import { createRedfishClient } from "./redfish/index.js";
import { DriverRegistry } from "./registry.js";
import type { RetryPolicy } from "./retry.js";
import type { BmcClient, BmcConnectOptions } from "./types.js";

export interface ConnectOptions extends BmcConnectOptions {
  /** The queue this client's calls go through. @default the process-wide queue */
  readonly queue?: BmcAccessQueue;
  /** @default the registry with the Redfish and IPMI drivers */
  readonly registry?: DriverRegistry;
}

export function defaultRegistry(): DriverRegistry {
  return new DriverRegistry()
    .register("redfish", (target, o) =>
      createRedfishClient(target, {
        credentials: o.credentials,
        insecure: o.insecure,
        caBundle: o.caBundle,
        gracefulShutdownMs: o.gracefulShutdownMs,
      }),
    )
    .register("ipmi", (target, o) =>
      createIpmiClient(target, {
        credentials: o.credentials,
        timeoutMs: o.timeoutMs,
        ...(o.gracefulShutdownMs !== undefined ? { gracefulOffTimeoutMs: o.gracefulShutdownMs } : {}),
      }),
    );
}

/**
 * Queue-level retries per driver. The IPMI driver retransmits lost datagrams
 * itself (RMCP over UDP leaves retries to the remote console; IPMI v2.0 §13.8) and reports
 * Unreachable only after its own attempts, so the queue adds none on top:
 * a retry of its retries would turn a fast Unreachable into a late Timeout.
 */
const QUEUE_RETRY: Readonly<Record<string, RetryPolicy | undefined>> = { ipmi: { attempts: 1 } };

let sharedQueue: BmcAccessQueue | undefined;
let sharedRegistry: DriverRegistry | undefined;

/** The process-wide access queue (global limit 16 operations). */
export function sharedAccessQueue(options?: AccessQueueOptions): BmcAccessQueue {
  sharedQueue ??= new BmcAccessQueue(options);
  return sharedQueue;
}

/**
 * A client for the BMC at `options.address`. Throws BmcError
 * `BMC_INVALID_ADDRESS` / `BMC_NOT_SUPPORTED` for an address no driver takes;
 * nothing is sent to the BMC until the first call.
 */
export function connectBmc(options: ConnectOptions): Promise<BmcClient> {
  try {
    const registry = options.registry ?? (sharedRegistry ??= defaultRegistry());
    const bare = registry.create(options);
    const queue = options.queue ?? sharedAccessQueue();
    const retry = QUEUE_RETRY[bare.driver];
    return Promise.resolve(queue.wrap(bare, { timeoutMs: options.timeoutMs, powerTimeoutMs: options.powerTimeoutMs, ...(retry !== undefined ? { retry } : {}) }));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

export { BmcAccessQueue, type AccessQueueOptions } from "./access-queue.js";
export { parseBmcAddress, redactAddress, type BmcTarget, type IpmiTarget, type RedfishTarget } from "./address.js";
export { BmcError, BmcErrorCode, isBmcError } from "./errors.js";
export { DriverRegistry } from "./registry.js";
export type * from "./types.js";
