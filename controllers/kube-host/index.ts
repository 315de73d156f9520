/**
 * The BareMetalHost controller on Kubernetes (issue #5): the pure state
 * machine of controllers/host driven by the runtime's caches and work
 * queue, plus the two backends the boot service asks (which MAC boots what,
 * and what the ramdisk agent does next). The composition root (cmd/) calls
 * `registerHostController` once, then `manager.start()`.
 * Decisions: docs/adr/0010-agent-state-secret.md; operator facts:
 * docs/host-states.md § "On Kubernetes".
 */
import type { BareMetalHost, HardwareData } from "../../api/index.js";
import type { BmcClient, BmcConnectOptions } from "../../bmc/types.js";
import type { AgentBackend } from "../../pxe/agent-backend.js";
import type { BootBackend } from "../../pxe/boot-backend.js";
import { DEFAULT_TIMING, type Clock, type HostTiming } from "../host/index.js";
import { BareMetalHostRef, HardwareDataRef, keyOf, SecretKind, type Manager } from "../runtime/index.js";
import { isAgentStateSecret, ownerHostKey } from "./agent-state.js";
import { AgentStateStore } from "./agent-state-store.js";
import { BmcConnections } from "./bmc-connections.js";
import { FreshCache } from "./fresh-cache.js";
import { hostReconciler } from "./host-reconciler.js";
import { hostEventFilter, hostsNamingSecret } from "./host-watches.js";
import { KubeAgentBackend } from "./kube-agent-backend.js";
import { KubeBootBackend } from "./kube-boot-backend.js";
import { cacheLimiter, isBusy } from "./provisioning-limiter.js";
import type { Secret } from "./secret.js";

export interface HostControllerOptions {
  readonly manager: Manager;
  /**
   * Makes a BMC client; cmd/ passes bmc/index.ts connectBmc. Never called with a password in a log.
   * A function returning a Promise (as connectBmc does) is accepted too.
   */
  readonly connect: (o: BmcConnectOptions) => BmcClient | Promise<BmcClient>;
  /** What a host booted into the ramdisk gets (URLs absolute; kernelArgs appended). */
  readonly ramdisk: { readonly kernelUrl: string; readonly initrdUrl: string; readonly kernelArgs?: string };
  /** Hosts busy in the ramdisk at once (inspecting+provisioning+deprovisioning); over it: `delayed`. @default 20 */
  readonly provisioningLimit?: number;
  /** Workers, @default the runtime flag default (4). */
  readonly concurrency?: number;
  /** Tests shorten polls/timeouts. */
  readonly timing?: Partial<HostTiming>;
  readonly clock?: Clock;
  /** At most one agent progress write per host this often (phase changes always pass). @default 10_000 */
  readonly agentProgressIntervalMs?: number;
}

export interface HostControllerHandle {
  readonly bootBackend: BootBackend;
  readonly agentBackend: AgentBackend;
}

export const HOST_CONTROLLER_NAME = "baremetalhost";

/** Waiting hosts woken per freed provisioning slot. */
const WAKE_PER_FREED_SLOT = 2;

/** Registers informers + the controller on the manager; they start with manager.start(). */
export function registerHostController(opts: HostControllerOptions): HostControllerHandle {
  const mgr = opts.manager;
  const log = mgr.logger.with({ controller: HOST_CONTROLLER_NAME });
  const hostCache = mgr.informer<BareMetalHost>(BareMetalHostRef);
  const secretCache = mgr.informer<Secret>(SecretKind);
  const hardwareCache = mgr.informer<HardwareData>(HardwareDataRef);
  const hosts = new FreshCache(hostCache);
  const store = new AgentStateStore(mgr.client<Secret>(SecretKind), secretCache);
  const bmcs = new BmcConnections(opts.connect, mgr.metrics, log);
  // Redfish sessions (and IPMI sessions) are the BMC's scarce resource: log out of each on stop.
  mgr.onStop(() => bmcs.closeAll());
  const clock = opts.clock ?? { now: () => new Date() };
  const timing: HostTiming = { ...DEFAULT_TIMING, ...opts.timing };

  mgr.metrics.hostsByState.onCollect(() => {
    mgr.metrics.hostsByState.reset();
    for (const h of hosts.list()) mgr.metrics.hostsByState.inc({ state: h.status?.provisioning.state || "none" });
  });

  const limiter = cacheLimiter(() => hosts.list(), opts.provisioningLimit ?? 20);
  const reconcile = hostReconciler({
    hostClient: mgr.client<BareMetalHost>(BareMetalHostRef),
    hosts,
    hardwareClient: mgr.client<HardwareData>(HardwareDataRef),
    hardware: new FreshCache(hardwareCache),
    secrets: secretCache,
    store,
    bmcs,
    limiter,
    timing,
    clock,
    processStartedAt: clock.now(),
    recorder: mgr.eventRecorder("metal3.io/anvil-host-controller"),
    log,
  });

  const controller = mgr
    .addController<BareMetalHost>({
      name: HOST_CONTROLLER_NAME,
      for: hostCache,
      reconcile,
      filter: hostEventFilter,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    })
    .watches(secretCache, (s) => {
      if (isAgentStateSecret(s)) {
        const owner = ownerHostKey(s);
        return owner === undefined ? [] : [owner];
      }
      return hostsNamingSecret(hostCache.list(), s).map(keyOf);
    });
  // A host leaving inspecting/provisioning/deprovisioning frees a provisioning slot: wake the hosts
  // that have waited longest (two per slot, in case one no longer wants it) rather than leave the
  // slot idle until a delayed host's next poll (`delayedPollMs`).
  const wakeWaiters = (): void => {
    for (const k of limiter.waiting(WAKE_PER_FREED_SLOT)) controller.queue.add(k);
  };
  hostCache.addHandler({
    update: (before, after) => {
      if (isBusy(before) && !isBusy(after)) wakeWaiters();
    },
    delete: (h) => {
      if (isBusy(h)) wakeWaiters();
    },
  });

  const hostByKey = (key: string): BareMetalHost | undefined => hosts.get(key);
  return {
    bootBackend: new KubeBootBackend(hostCache, hostByKey, store, opts.ramdisk),
    agentBackend: new KubeAgentBackend({
      store,
      host: hostByKey,
      secret: (k) => secretCache.get(k),
      ...(opts.agentProgressIntervalMs !== undefined ? { progressIntervalMs: opts.agentProgressIntervalMs } : {}),
    }),
  };
}
