/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package does it: a candidate takes the Lease when it is free
 * or its holder has not renewed for `leaseDuration`, as measured on the
 * candidate's own clock from when it last saw the record change (so clock
 * skew between replicas does not matter); the leader renews every
 * `retryPeriod` and gives up leading if it could not renew for
 * `renewDeadline` (< leaseDuration, so it stops before anyone else may
 * start). Every write carries the Lease's resourceVersion: of two candidates
 * racing for a free Lease, the second write is refused with a Conflict.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { ApiError, ApiErrorCode, isApiError, isNotFound } from "./errors.js";
import { silentLogger, type Logger } from "./logger.js";
import type { KubeObject } from "./object.js";
import type { ResourceClient } from "./resource-client.js";

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  readonly namespace: string;
  /** Lease name, e.g. "anvil-manager". */
  readonly name: string;
  /** Unique per replica (pod name + random suffix). */
  readonly identity: string;
  /** How long a non-renewed lease stays taken. @default 15_000 */
  readonly leaseDurationMs?: number;
  /** The leader gives up after failing to renew for this long; must be < leaseDurationMs. @default 10_000 */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. @default 2_000 */
  readonly retryPeriodMs?: number;
  /** Write holderIdentity "" on graceful stop so a standby takes over at once. @default true */
  readonly releaseOnCancel?: boolean;
  readonly logger?: Logger;
}

export interface LeaderCallbacks {
  /** Leadership won; `signal` aborts the moment it is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void;
  /** Leadership lost (not renewed in time) or released. */
  onStoppedLeading(): void;
}

/** MicroTime: RFC 3339 with microseconds (meta/v1 MicroTime). */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export class LeaderElector {
  readonly #client: ResourceClient<Lease>;
  readonly #o: Required<Omit<LeaderElectionOptions, "logger">>;
  readonly #log: Logger;
  #observed: Lease["spec"] | undefined;
  #observedAt = 0;
  #leader = false;
  #running = false;
  #lease: Lease | undefined;

  constructor(client: ResourceClient<Lease>, opts: LeaderElectionOptions) {
    this.#client = client;
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnCancel: true,
      ...opts,
    };
    const { leaseDurationMs: d, renewDeadlineMs: r, retryPeriodMs: p } = this.#o;
    if (!(r < d) || !(p < r)) {
      throw new RangeError(`Expected retryPeriodMs < renewDeadlineMs < leaseDurationMs, got ${p} < ${r} < ${d}`);
    }
    this.#log = (opts.logger ?? silentLogger).with({ component: "leader-election", lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.#leader;
  }

  /** True while `run` is campaigning or leading (a healthy standby is not a failure). */
  isRunning(): boolean {
    return this.#running;
  }

  /**
   * Campaigns, leads, and campaigns again after losing, until `signal`
   * aborts; then releases the Lease if it holds it.
   */
  async run(signal: AbortSignal, cb: LeaderCallbacks): Promise<void> {
    this.#running = true;
    try {
      while (!signal.aborted) {
        await this.#acquire(signal);
        if (signal.aborted) break;
        const leading = new AbortController();
        this.#leader = true;
        this.#log.info("became leader");
        cb.onStartedLeading(leading.signal);
        await this.#renewUntilLost(signal);
        this.#leader = false;
        leading.abort();
        cb.onStoppedLeading();
        if (!signal.aborted) this.#log.warn("lost leadership");
      }
    } finally {
      this.#running = false;
      if (this.#o.releaseOnCancel) await this.#release();
    }
  }

  async #acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew(signal)) return;
      await sleep(this.#jitter(this.#o.retryPeriodMs), undefined, { signal }).catch(() => undefined);
    }
  }

  async #renewUntilLost(signal: AbortSignal): Promise<void> {
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.#o.retryPeriodMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      // Each attempt is cut off at the deadline so a hung request cannot
      // stretch leadership past renewDeadline.
      const left = lastRenew + this.#o.renewDeadlineMs - Date.now();
      const ok = left > 0 && (await this.#tryAcquireOrRenew(AbortSignal.any([signal, AbortSignal.timeout(left)])));
      if (ok) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.#o.renewDeadlineMs) return;
    }
  }

  /** One attempt; true when we hold the Lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = new Date();
    const { namespace, name, identity } = this.#o;
    const durationSeconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    try {
      let current: Lease;
      try {
        current = await this.#client.get(namespace, name, signal);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#lease = await this.#client.create(
          {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
          },
          signal,
        );
        this.#see(this.#lease.spec);
        return true;
      }
      const spec = current.spec ?? {};
      if (!isDeepStrictEqual(spec, this.#observed)) this.#see(spec);
      const holder = spec.holderIdentity ?? "";
      const mine = holder === identity;
      const expired = this.#observedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000 <= Date.now();
      if (holder && !mine && !expired) return false;
      const next: Lease = {
        ...current,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
        },
      };
      this.#lease = await this.#client.update(next, signal);
      this.#see(this.#lease.spec);
      return true;
    } catch (err) {
      if (isApiError(err, ApiErrorCode.Conflict) || isApiError(err, ApiErrorCode.AlreadyExists)) {
        this.#log.debug("another candidate wrote the lease first");
      } else if (!signal.aborted) {
        this.#log.warn("lease attempt failed", { error: err });
      }
      return false;
    }
  }

  #see(spec: Lease["spec"]): void {
    this.#observed = structuredClone(spec);
    this.#observedAt = Date.now();
  }

  async #release(): Promise<void> {
    const lease = this.#lease;
    if (!lease || lease.spec?.holderIdentity !== this.#o.identity) return;
    try {
      // client-go releases by clearing the holder and shortening the
      // duration to 1 s, so standbys need not wait the full lease.
      await this.#client.update({ ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(new Date()) } }, AbortSignal.timeout(5_000));
      this.#log.info("released the lease");
    } catch (err) {
      this.#log.warn("could not release the lease", { error: err instanceof ApiError ? err.code : String(err) });
    }
    this.#lease = undefined;
  }

  #jitter(ms: number): number {
    // client-go's JitterUntil factor 1.2: up to 120% more, so standbys do not poll in step.
    return ms + Math.floor(Math.random() * ms * 1.2);
  }
}
