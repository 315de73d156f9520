/**
 * Pool bindings of reservation mode: MAC → address, kept across restarts in
 * a small JSON file that is replaced atomically (write, fsync, rename).
 * Writes are group-committed: every change waits for a write that includes
 * it, and changes that arrive while a write is running share the next one.
 */
import { open, readFile, rename, rm } from "node:fs/promises";
import { formatIpv4, parseIpv4 } from "./ipv4.js";

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

interface LeaseFile {
  readonly version: 1;
  readonly leases: readonly { mac: string; ip: string; state: "bound" | "released"; expiresAt: number }[];
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
  private writing: Promise<void> | undefined;
  private pending: Promise<void> | undefined;
  /** Completed file writes, for tests and metrics. */
  writes = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly fsync: boolean,
  ) {}

  /**
   * Opens (or starts) the store; a missing file is an empty store, a corrupt
   * one an error. `fsync: false` keeps the atomic rename (no torn file after
   * a crash of the process) but may lose the last bindings on power loss.
   */
  static async open(file: string | undefined, opts: { fsync?: boolean } = {}): Promise<LeaseStore> {
    const store = new LeaseStore(file, opts.fsync ?? true);
    if (!file) return store;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return store;
      throw err;
    }
    const data = JSON.parse(text) as LeaseFile;
    for (const l of data.leases) {
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
    return this.persist();
  }

  /** RFC 2131 §4.3.4: the address is free again but the client keeps its claim to it while unused. */
  release(mac: string, now: number): Promise<void> {
    const own = this.byMac.get(mac);
    if (!own) return Promise.resolve();
    this.set({ ...own, state: "released", expiresAt: Math.min(own.expiresAt, now) });
    return this.persist();
  }

  /** RFC 2131 §4.3.3: the address is in use by someone else; keep it out of the pool for a while. */
  decline(mac: string, ip: number, now: number): Promise<void> {
    const own = this.byMac.get(mac);
    if (own && own.ip === ip) {
      this.byMac.delete(mac);
      this.byIp.delete(ip);
    }
    this.declined.set(ip, now + DECLINE_HOLD_MS);
    return this.persist();
  }

  private persist(): Promise<void> {
    if (!this.file) return Promise.resolve();
    if (this.pending) return this.pending;
    this.pending = (async () => {
      // Always yield first, so changes made in this tick join this write; a change
      // made after the snapshot below starts a new pending write.
      if (this.writing) await this.writing.catch(() => undefined);
      else await new Promise((resolve) => setImmediate(resolve));
      this.pending = undefined;
      this.writing = this.writeNow(this.file!);
      await this.writing;
    })();
    return this.pending;
  }

  private async writeNow(file: string): Promise<void> {
    const leases: LeaseFile["leases"][number][] = [];
    for (const l of this.byMac.values()) {
      if (l.state === "offered") continue;
      leases.push({ mac: l.mac, ip: formatIpv4(l.ip), state: l.state, expiresAt: l.expiresAt });
    }
    const body: LeaseFile = { version: 1, leases };
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify(body));
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    this.writes++;
  }

  /** Waits for any write in flight. */
  async flush(): Promise<void> {
    await this.pending;
    await this.writing;
  }
}
