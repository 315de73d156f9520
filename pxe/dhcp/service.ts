/**
 * Composes the DHCP service for a mode: the handler, its lease store, the
 * packet loop on the ports the mode needs and, when configured, the IPv6
 * router advertisement sender. Mode `off` starts nothing.
 */
import type { BootBackend } from "../boot-backend.js";
import type { DhcpConfig } from "./config.js";
import type { DhcpHandler } from "./handler.js";
import { LeaseStore } from "./lease-store.js";
import { ProxyHandler } from "./proxy-handler.js";
import { ReservationHandler } from "./reservation-handler.js";
import { startRouterAdvertiser } from "./router-advertiser.js";
import { startDhcpServer, type DhcpServer } from "./server.js";

export interface DhcpServiceOptions {
  readonly log?: (line: string) => void;
  readonly clock?: () => number;
}

/** `undefined` in mode `off`: the site's own DHCP server hands out boot information (docs/dhcp.md). */
export async function startDhcpService(cfg: DhcpConfig, backend: BootBackend, opts: DhcpServiceOptions = {}): Promise<DhcpServer | undefined> {
  let handler: DhcpHandler;
  let ports: number[];
  switch (cfg.mode) {
    case "off":
      return undefined;
    case "reservation":
      handler = new ReservationHandler(cfg, backend, await LeaseStore.open(cfg.leaseFile, { fsync: cfg.leaseFileFsync }));
      ports = [cfg.serverPort];
      break;
    case "proxy":
      handler = new ProxyHandler(cfg, backend);
      ports = [cfg.serverPort, cfg.proxyPort];
      break;
  }
  const server = await startDhcpServer({ listenAddress: cfg.listenAddress, sendAddress: cfg.serverAddress, ports, handler, log: opts.log, clock: opts.clock });
  if (!cfg.routerAdvertisements) return server;
  const advertiser = startRouterAdvertiser(cfg.routerAdvertisements, opts.log ?? (() => undefined));
  return {
    metrics: server.metrics,
    ports: server.ports,
    async close() {
      await advertiser.stop();
      await server.close();
    },
  };
}
