/**
 * The manager owns everything long-lived: one transport (one rate limit for
 * the whole process's reads and writes) and one for Events, shared informers (one per kind and scope, however many
 * controllers read it), the controllers, leader election, and the probe and
 * metrics server. Caches run on every replica so a standby takes over warm;
 * controllers run only on the leader and stop the moment leadership is lost.
 */
import os from "node:os";
import { randomBytes } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";
import { Controller, type ControllerOptions } from "./controller.js";
import { EventRecorder } from "./event-recorder.js";
import { Informer, type InformerOptions } from "./informer.js";
import { LeaderElector, type Lease, type LeaderElectionOptions } from "./leader-election.js";
import { silentLogger, type Logger } from "./logger.js";
import { Registry } from "./metrics.js";
import { LeaseKind, type KindRef, type KubeObject } from "./object.js";
import { ProbeServer } from "./probe-server.js";
import { registerProcessMetrics } from "./process-metrics.js";
import { ResourceClient } from "./resource-client.js";
import { runSignal, sharedSignal } from "./run-signal.js";
import { registerRuntimeMetrics, type RuntimeMetrics } from "./runtime-metrics.js";
import { Transport } from "./transport.js";

export interface ManagerOptions {
  readonly kubeConfig: KubeConfig;
  /**
   * Client-side sustained API requests per second. Generous on purpose:
   * Metal3 stalled near 600 clusters on client-go's old 5/10 default.
   * @default 50
   */
  readonly qps?: number;
  /** Client-side request burst. @default 100 */
  readonly burst?: number;
  /** Watch and reconcile only this namespace (`--namespace`). @default all namespaces */
  readonly namespace?: string;
  /** Leader election; omit to run without (a single replica). */
  readonly leaderElection?: Omit<LeaderElectionOptions, "identity" | "logger"> & { readonly identity?: string };
  /** Address of /metrics, /healthz, /readyz; `false` serves none. @default { host: "127.0.0.1", port: 8080 } */
  readonly probes?: { readonly host?: string; readonly port?: number } | false;
  /** Cache resync period for every informer. @default 600_000 */
  readonly resyncMs?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

export class ManagerError extends Error {
  override readonly name = "ManagerError";
  constructor(
    readonly code: "MANAGER_ALREADY_STARTED" | "MANAGER_LEADERSHIP_LOST",
    message: string,
  ) {
    super(message);
  }
}

export class Manager {
  readonly transport: Transport;
  /**
   * Events go through their own rate limit, as client-go's event broadcaster
   * sends them through a clientset (and token bucket) of its own: four
   * StateChanged Events per registered host must not queue a fleet's status
   * writes behind them.
   */
  readonly #eventTransport: Transport;
  readonly registry: Registry;
  readonly metrics: RuntimeMetrics;
  readonly logger: Logger;
  readonly identity: string;
  readonly #opts: ManagerOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  readonly #controllers: Controller<KubeObject>[] = [];
  readonly #recorders: EventRecorder[] = [];
  readonly #onStop: (() => Promise<void>)[] = [];
  readonly #elector: LeaderElector | undefined;
  #probeAddress: { host: string; port: number } | undefined;
  #started = false;

  constructor(opts: ManagerOptions) {
    this.#opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.transport = new Transport(opts.kubeConfig, { qps: opts.qps ?? 50, burst: opts.burst ?? 100 });
    this.#eventTransport = new Transport(opts.kubeConfig, { qps: opts.qps ?? 50, burst: opts.burst ?? 100, maxSockets: 8 });
    this.registry = opts.registry ?? new Registry();
    this.metrics = registerRuntimeMetrics(this.registry);
    registerProcessMetrics(this.registry);
    this.metrics.queueDepth.onCollect(() => {
      for (const c of this.#controllers) this.metrics.queueDepth.set({ name: c.name }, c.queue.length);
    });
    this.identity = opts.leaderElection?.identity ?? `${os.hostname()}_${randomBytes(4).toString("hex")}`;
    if (opts.leaderElection) {
      this.#elector = new LeaderElector(new ResourceClient<Lease>(this.transport, LeaseKind), {
        ...opts.leaderElection,
        identity: this.identity,
        logger: this.logger,
      });
    }
  }

  /** A typed client for `kind` on the manager's transport. */
  client<T extends KubeObject>(kind: KindRef): ResourceClient<T> {
    return new ResourceClient<T>(this.transport, kind);
  }

  /** The shared cache of `kind` (one per kind and label selector). */
  informer<T extends KubeObject>(kind: KindRef, opts: Omit<InformerOptions, "logger" | "namespace"> = {}): Informer<T> {
    const id = `${kind.group}/${kind.version}/${kind.plural}?${opts.labelSelector ?? ""}`;
    let inf = this.#informers.get(id);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client(kind), {
        resyncMs: this.#opts.resyncMs ?? 600_000,
        ...opts,
        ...(this.#opts.namespace && kind.namespaced ? { namespace: this.#opts.namespace } : {}),
        logger: this.logger,
      });
      this.#informers.set(id, inf);
    }
    return inf as unknown as Informer<T>;
  }

  addController<T extends KubeObject>(opts: Omit<ControllerOptions<T>, "logger" | "metrics">): Controller<T> {
    const c = new Controller<T>({ ...opts, logger: this.logger, metrics: this.metrics });
    this.#controllers.push(c as unknown as Controller<KubeObject>);
    return c;
  }

  eventRecorder(controller: string, redact?: (text: string) => string): EventRecorder {
    const r = new EventRecorder(this.#eventTransport, {
      controller,
      instance: this.identity,
      logger: this.logger,
      onDrop: (reason) => this.metrics.eventsDropped.inc({ reason }),
      ...(redact ? { redact } : {}),
    });
    this.#recorders.push(r);
    return r;
  }

  /** Runs `fn` once the controllers have stopped, before the transport closes (e.g. closing BMC sessions). */
  onStop(fn: () => Promise<void>): void {
    this.#onStop.push(fn);
  }

  isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader() : this.#started;
  }

  /** Where /metrics is served once started. */
  get probeAddress(): { host: string; port: number } | undefined {
    return this.#probeAddress;
  }

  hasSynced(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /**
   * Runs until `outer` aborts, then stops controllers, caches and the
   * server and releases the Lease. Resolves once all of it has stopped.
   */
  async start(outer: AbortSignal): Promise<void> {
    if (this.#started) throw new ManagerError("MANAGER_ALREADY_STARTED", "a manager starts once");
    this.#started = true;
    const probes = this.#opts.probes === false ? undefined : this.#probeServer();
    if (probes) {
      const a = await probes.listen();
      this.#probeAddress = { host: a.address, port: a.port };
      this.logger.info("serving probes and metrics", { address: `${a.address}:${a.port}` });
    }
    const { signal, detach } = runSignal(outer);
    const tasks: Promise<void>[] = [...this.#informers.values()].map((i) => i.run(signal));
    if (this.#elector) {
      const running: Promise<void>[] = [];
      this.metrics.leader.set({ name: this.#opts.leaderElection?.name ?? "" }, 0);
      tasks.push(
        this.#elector.run(signal, {
          onStartedLeading: (leading) => {
            this.metrics.leader.set({ name: this.#opts.leaderElection?.name ?? "" }, 1);
            running.push(...this.#runControllers(leading));
          },
          onStoppedLeading: () => {
            this.metrics.leader.set({ name: this.#opts.leaderElection?.name ?? "" }, 0);
          },
        }),
      );
      tasks.push(new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })).then(() => Promise.all(running)).then(() => undefined));
    } else {
      tasks.push(...this.#runControllers(signal));
    }
    try {
      await Promise.all(tasks);
    } finally {
      detach();
      for (const fn of this.#onStop) {
        await fn().catch((err: unknown) => this.logger.warn("stop hook failed", { error: err }));
      }
      await Promise.all(this.#recorders.map((r) => r.flush()));
      await probes?.close();
      this.transport.close();
      this.#eventTransport.close();
      this.logger.info("manager stopped");
    }
  }

  #runControllers(signal: AbortSignal): Promise<void>[] {
    sharedSignal(signal); // the elector's leading signal, shared by every worker like the run signal
    return this.#controllers.map((c) =>
      c.run(signal).catch((err: unknown) => {
        if (!signal.aborted) this.logger.error("controller stopped", { controller: c.name, error: err });
      }),
    );
  }

  #probeServer(): ProbeServer {
    const p = this.#opts.probes || {};
    return new ProbeServer({
      registry: this.registry,
      host: p.host ?? "127.0.0.1",
      port: p.port ?? 8080,
      readyChecks: {
        informers: () => this.hasSynced(),
        ...(this.#elector ? { "leader-election": () => this.#elector?.isRunning() ?? false } : {}),
      },
    });
  }
}
