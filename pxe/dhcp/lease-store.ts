/**
 * Pool bindings of reservation mode: MAC → address, kept across restarts by
 * a LeaseJournal (snapshot + append-only journal, group-committed: every
 * change resolves only once it is durable, and changes that arrive while a
 * commit runs share the next one).
 */
import { formatIpv4, parseIpv4 } from "./ipv4.js";
import { LeaseJournal, type LeaseJournalOptions } from "./lease-journal.js";

export type LeaseState = "offered" | "bound" | "released";

export interface Lease {
  readonly mac: string;
  readonly ip: number;
  readonly state: LeaseState;
  /** Epoch ms; an offered lease is held until then, a bound one is valid until then. */
  readonly expiresAt: number;
}

export interface Pool {
  readonly start: number;
  readonly end: number;
}

/** RFC 2131 §3.1 step 2 lets a server hold an offered address; a minute outlives any client's retries. */
export const OFFER_HOLD_MS = 60_000;
/** How long a DECLINEd address stays out of the pool (RFC 2131 §4.3.3 leaves it to the server). */
export const DECLINE_HOLD_MS = 10 * 60_000;

export class LeaseStore {
  private readonly byMac = new Map<string, Lease>();
  private readonly byIp = new Map<number, string>();
  private readonly declined = new Map<number, number>();
  private cursor = new Map<string, number>();

  private constructor(private readonly journal: LeaseJournal | undefined) {}

  /** Completed commits to disk (0 in memory), for tests and metrics. */
  get writes(): number {
    return this.journal?.commits ?? 0;
  }

  /**
   * Opens (or starts) the store; a missing file is an empty store, a corrupt
   * one an error. `fsync: false` keeps the atomic snapshot replace and the
   * append order (nothing torn after a crash of the process) but may lose the
   * last bindings on power loss.
   */
  static async open(file: string | undefined, opts: { fsync?: boolean; compactAfter?: number } = {}): Promise<LeaseStore> {
    if (!file) return new LeaseStore(undefined);
    const journalOpts: LeaseJournalOptions = { fsync: opts.fsync ?? true, compactAfter: opts.compactAfter };
    const journal = await LeaseJournal.open(file, journalOpts);
    const store = new LeaseStore(journal);
    for (const l of journal.bindings.values()) {
      const ip = parseIpv4(l.ip);
      if (ip === undefined) continue;
      store.set({ mac: l.mac, ip, state: l.state, expiresAt: l.expiresAt });
    }
    return store;
  }

  lookup(mac: string): Lease | undefined {
    return this.byMac.get(mac);
  }

  ownerOf(ip: number): string | undefined {
    return this.byIp.get(ip);
  }

  private set(l: Lease): void {
    const old = this.byMac.get(l.mac);
    if (old && old.ip !== l.ip) this.byIp.delete(old.ip);
    this.byMac.set(l.mac, l);
    this.byIp.set(l.ip, l.mac);
  }

  private free(ip: number, now: number): boolean {
    const until = this.declined.get(ip);
    if (until !== undefined) {
      if (until > now) return false;
      this.declined.delete(ip);
    }
    return !this.byIp.has(ip);
  }

  private usableBy(mac: string, ip: number, pool: Pool, now: number): boolean {
    if (ip < pool.start || ip > pool.end) return false;
    const owner = this.byIp.get(ip);
    if (owner !== undefined && owner !== mac) return false;
    const until = this.declined.get(ip);
    return until === undefined || until <= now;
  }

  /**
   * RFC 2131 §4.3.1 address selection: the client's current or previous
   * binding, else the address it asked for (option 50) when free, else a free
   * one, else the longest-expired binding of another client.
   */
  pick(mac: string, pool: Pool, now: number, requested?: number): number | undefined {
    const own = this.byMac.get(mac);
    if (own && this.usableBy(mac, own.ip, pool, now)) return own.ip;
    if (requested !== undefined && requested >= pool.start && requested <= pool.end && this.free(requested, now)) return requested;
    const key = `${pool.start}-${pool.end}`;
    const size = pool.end - pool.start + 1;
    const from = this.cursor.get(key) ?? 0;
    for (let k = 0; k < size; k++) {
      const off = (from + k) % size;
      const ip = pool.start + off;
      if (this.free(ip, now)) {
        this.cursor.set(key, (off + 1) % size);
        return ip;
      }
    }
    let victim: Lease | undefined;
    for (const l of this.byMac.values()) {
      if (l.ip < pool.start || l.ip > pool.end || l.expiresAt > now) continue;
      if (!victim || l.expiresAt < victim.expiresAt) victim = l;
    }
    if (!victim) return undefined;
    this.byMac.delete(victim.mac);
    this.byIp.delete(victim.ip);
    // Queued before the new owner's binding, so it is durable no later than that binding.
    this.journal?.remove(victim.mac).catch(() => undefined);
    return victim.ip;
  }

  /** Holds `ip` for `mac` while the client decides (not persisted: an offer is not a binding). */
  offer(mac: string, ip: number, now: number): void {
    const own = this.byMac.get(mac);
    // A bound client asking again keeps its binding's expiry; only a new address becomes a bare offer.
    if (own && own.ip === ip && own.state === "bound" && own.expiresAt > now) return;
    this.set({ mac, ip, state: "offered", expiresAt: now + OFFER_HOLD_MS });
  }

  /**
   * Binds and waits until the binding is on disk, so a restart never hands the
   * address to a second client (RFC 2131 §1.6 design goals: one client per
   * address, configuration kept across server restarts).
   */
  bind(mac: string, ip: number, expiresAt: number): Promise<void> {
    this.set({ mac, ip, state: "bound", expiresAt });
    return this.persist(mac);
  }

  /** RFC 2131 §4.3.4: the address is free again but the client keeps its claim to it while unused. */
  release(mac: string, now: number): Promise<void> {
    const own = this.byMac.get(mac);
    if (!own) return Promise.resolve();
    this.set({ ...own, state: "released", expiresAt: Math.min(own.expiresAt, now) });
    return this.persist(mac);
  }

  /** RFC 2131 §4.3.3: the address is in use by someone else; keep it out of the pool for a while. */
  decline(mac: string, ip: number, now: number): Promise<void> {
    const own = this.byMac.get(mac);
    this.declined.set(ip, now + DECLINE_HOLD_MS);
    if (own && own.ip === ip) {
      this.byMac.delete(mac);
      this.byIp.delete(ip);
      return this.journal?.remove(mac) ?? Promise.resolve();
    }
    return Promise.resolve();
  }

  private persist(mac: string): Promise<void> {
    const l = this.byMac.get(mac);
    if (!this.journal || !l || l.state === "offered") return Promise.resolve();
    return this.journal.put({ mac, ip: formatIpv4(l.ip), state: l.state, expiresAt: l.expiresAt });
  }

  /** Waits until every change made so far is durable. */
  async flush(): Promise<void> {
    await this.journal?.flush();
  }

  /** Flushes and closes the lease file. */
  async close(): Promise<void> {
    await this.journal?.close();
  }
}
