/**
 * Decides what becomes of each Kubernetes Event before it is sent, so a host
 * failing every few seconds cannot flood the API server:
 * - the same (object, type, reason, note) within `seriesWindowMs` updates one
 *   Event's `series.count` instead of creating a new one (events.k8s.io/v1
 *   EventSeries; client-go's EventCorrelator does the same for core/v1);
 * - each object has a token bucket (client-go's EventSourceObjectSpamFilter:
 *   burst 25, one token per 5 minutes) and events past it are dropped.
 * Pure logic with an injected clock; the recorder does the I/O.
 */
import { TokenBucket } from "./token-bucket.js";

export interface EventAggregatorOptions {
  /** Events one object may emit at once. @default 25 */
  readonly burst?: number;
  /** Sustained events per second per object. @default 1/300 */
  readonly qps?: number;
  /** Repeats within this window join one series. @default 600_000 */
  readonly seriesWindowMs?: number;
  /** Objects and series remembered; the oldest are forgotten past it. @default 4096 */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export interface EventKey {
  readonly objectUid: string;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly note: string;
}

export type EventDecision =
  | { readonly action: "create" }
  | { readonly action: "update"; readonly name: string; readonly count: number; readonly firstSeen: number }
  | { readonly action: "drop" };

interface Series {
  name: string | undefined;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export class EventAggregator {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #series = new Map<string, Series>();
  readonly #burst: number;
  readonly #qps: number;
  readonly #window: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(opts: EventAggregatorOptions = {}) {
    this.#burst = opts.burst ?? 25;
    this.#qps = opts.qps ?? 1 / 300;
    this.#window = opts.seriesWindowMs ?? 600_000;
    this.#max = opts.maxEntries ?? 4096;
    this.#now = opts.now ?? Date.now;
  }

  decide(e: EventKey): EventDecision {
    const now = this.#now();
    const id = `${e.objectUid}\u0000${e.type}\u0000${e.reason}\u0000${e.note}`;
    const s = this.#series.get(id);
    if (s && s.name && now - s.lastSeen <= this.#window) {
      // A repeat costs no token: it becomes one PATCH of a counter, not a new object.
      s.count++;
      s.lastSeen = now;
      touch(this.#series, id, s);
      return { action: "update", name: s.name, count: s.count, firstSeen: s.firstSeen };
    }
    if (this.#bucket(e.objectUid).tryTake() === 0) {
      this.#series.set(id, { name: undefined, count: 1, firstSeen: now, lastSeen: now });
      this.#trim();
      return { action: "create" };
    }
    return { action: "drop" };
  }

  /** Records the name the server gave the Event a `create` decision made. */
  created(e: EventKey, name: string): void {
    const s = this.#series.get(`${e.objectUid}\u0000${e.type}\u0000${e.reason}\u0000${e.note}`);
    if (s) s.name = name;
  }

  #bucket(uid: string): TokenBucket {
    let b = this.#buckets.get(uid);
    if (!b) {
      const start = this.#now();
      // TokenBucket counts in ms from its own clock; feed it ours so tests control time.
      b = new TokenBucket({ qps: this.#qps, burst: this.#burst, now: () => this.#now() - start });
      this.#buckets.set(uid, b);
      this.#trim();
    } else touch(this.#buckets, uid, b);
    return b;
  }

  #trim(): void {
    for (const m of [this.#buckets, this.#series] as Map<string, unknown>[]) {
      while (m.size > this.#max) {
        const oldest = m.keys().next().value;
        if (oldest === undefined) break;
        m.delete(oldest);
      }
    }
  }
}

/** Moves `key` to the end of the map's insertion order (most recently used). */
function touch<V>(m: Map<string, V>, key: string, v: V): void {
  m.delete(key);
  m.set(key, v);
}
