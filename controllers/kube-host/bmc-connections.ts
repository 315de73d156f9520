/**
 * One BMC client per host, reused across reconciles (a Redfish session costs
 * a login), and replaced when what it was built from changes: the address,
 * the credentials Secret's resourceVersion, or certificate verification. So
 * a fixed Secret reconnects at its next reconcile. Calls are counted in
 * anvil_bmc_operation_duration_seconds / anvil_bmc_operation_errors_total.
 */
import { isBmcError } from "../../bmc/errors.js";
import type { BmcClient, BmcConnectOptions, BmcCredentials } from "../../bmc/types.js";
import type { Logger, RuntimeMetrics } from "../runtime/index.js";

export type BmcConnect = (o: BmcConnectOptions) => BmcClient | Promise<BmcClient>;

export interface BmcTarget {
  readonly address: string;
  readonly credentials: BmcCredentials;
  /** The credentials Secret's resourceVersion. */
  readonly version: string;
  readonly insecure: boolean;
}

export class BmcConnections {
  readonly #clients = new Map<string, { fingerprint: string; client: BmcClient }>();

  constructor(
    private readonly connect: BmcConnect,
    private readonly metrics: RuntimeMetrics,
    private readonly log: Logger,
  ) {}

  /** The host's client, or undefined when no driver takes the address (the state machine reports that). */
  async clientFor(hostKey: string, t: BmcTarget): Promise<BmcClient | undefined> {
    const fingerprint = `${t.address}\u0000${t.version}\u0000${t.insecure}`;
    const cached = this.#clients.get(hostKey);
    if (cached?.fingerprint === fingerprint) return cached.client;
    if (cached !== undefined) await this.forget(hostKey);
    try {
      const raw = await this.connect({ address: t.address, credentials: t.credentials, insecure: t.insecure });
      const client = instrument(raw, this.metrics);
      this.#clients.set(hostKey, { fingerprint, client });
      return client;
    } catch (err) {
      // The driver's message is built from the address without userinfo (bmc/errors.ts); the code is stable.
      this.log.warn("no BMC client for host", { host: hostKey, code: isBmcError(err) ? err.code : "UNKNOWN" });
      return undefined;
    }
  }

  async forget(hostKey: string): Promise<void> {
    const c = this.#clients.get(hostKey);
    this.#clients.delete(hostKey);
    await c?.client.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#clients.keys()].map((k) => this.forget(k)));
  }
}

function instrument(c: BmcClient, m: RuntimeMetrics): BmcClient {
  const timed = <A extends unknown[], R>(operation: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const started = performance.now();
      try {
        return await fn(...a);
      } catch (err) {
        m.bmcOperationErrors.inc({ driver: c.driver, operation, code: isBmcError(err) ? err.code : "UNKNOWN" });
        throw err;
      } finally {
        m.bmcOperationDuration.observe({ driver: c.driver, operation }, (performance.now() - started) / 1000);
      }
    };
  const inv = c.inventory;
  return {
    driver: c.driver,
    displayAddress: c.displayAddress,
    power: { getPower: timed("get_power", (s?: AbortSignal) => c.power.getPower(s)), setPower: timed("set_power", (a, s?: AbortSignal) => c.power.setPower(a, s)) },
    boot: {
      setBootOverride: timed("set_boot_override", (o, s?: AbortSignal) => c.boot.setBootOverride(o, s)),
      getBootOverride: timed("get_boot_override", (s?: AbortSignal) => c.boot.getBootOverride(s)),
    },
    virtualMedia: c.virtualMedia,
    inventory: inv === undefined ? undefined : { getInventory: timed("get_inventory", (s?: AbortSignal) => inv.getInventory(s)) },
    close: () => c.close(),
  };
}
