/**
 * Picks the driver for a BMC address: the address parser maps Metal3's
 * schemes and vendor aliases onto a protocol, and each protocol has one
 * registered driver factory (baremetal-operator's RegisterFactory pattern).
 */
import { parseBmcAddress, type BmcTarget } from "./address.js";
import { BmcError, BmcErrorCode } from "./errors.js";
import type { BmcClient, BmcConnectOptions } from "./types.js";

export type BmcProtocol = BmcTarget["protocol"];
export type DriverOptions = Omit<BmcConnectOptions, "address">;
export type DriverFactory<P extends BmcProtocol> = (target: Extract<BmcTarget, { protocol: P }>, options: DriverOptions) => BmcClient;

export class DriverRegistry {
  private readonly factories = new Map<BmcProtocol, (target: BmcTarget, options: DriverOptions) => BmcClient>();

  register<P extends BmcProtocol>(protocol: P, factory: DriverFactory<P>): this {
    this.factories.set(protocol, (target, options) => factory(target as Extract<BmcTarget, { protocol: P }>, options));
    return this;
  }

  /** The protocols with a driver. */
  get protocols(): BmcProtocol[] {
    return [...this.factories.keys()];
  }

  /** Parses `options.address` and builds a bare driver client (no access queue). */
  create(options: BmcConnectOptions): BmcClient {
    const target = parseBmcAddress(options.address);
    const factory = this.factories.get(target.protocol);
    if (factory === undefined) {
      throw new BmcError(BmcErrorCode.NotSupported, `no ${target.protocol} driver is registered (scheme "${target.scheme}")`);
    }
    const { address: _address, ...driverOptions } = options;
    return factory(target, driverOptions);
  }
}
