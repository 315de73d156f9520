/**
 * Durable lease bindings: a snapshot (`<file>`, JSON, replaced atomically)
 * plus an append-only journal (`<file>.journal`, one JSON line per change
 * since that snapshot).
 *
 * Why a journal: rewriting the whole file for every ACK costs O(leases) per
 * commit; appending costs O(changes). Commits are grouped: every change made
 * while a commit's write and fdatasync run waits for the next one, so N
 * concurrent REQUESTs share one fdatasync, and each promise resolves only
 * once its line is on disk (RFC 2131 §1.6: a restarted server must not hand
 * an address to a second client). The journal is folded into a fresh
 * snapshot at open and whenever it grows past `compactAfter` lines.
 *
 * Crash safety: the snapshot and the journal header carry a generation. A
 * journal whose generation is older than the snapshot's was already folded
 * in (the crash fell between the snapshot's rename and the journal's reset)
 * and is ignored. A torn last line (a crash during an append that was never
 * acknowledged) is ignored; a bad line elsewhere is corruption and an error.
 */
import { open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { DhcpLeaseFileError } from "./errors.js";

export interface LeaseRecord {
  readonly mac: string;
  readonly ip: string;
  readonly state: "bound" | "released";
  readonly expiresAt: number;
}

export interface LeaseJournalOptions {
  /** fdatasync each commit (power-loss safe). false keeps the atomic replace and append order only. @default true */
  readonly fsync?: boolean;
  /** Journal lines after which the next commit writes a new snapshot instead. @default 20_000 */
  readonly compactAfter?: number;
}

interface SnapshotFile {
  readonly version: 1 | 2;
  readonly generation?: number;
  readonly leases: readonly LeaseRecord[];
}

type JournalLine = { readonly m: string; readonly i: string; readonly s: "bound" | "released"; readonly e: number } | { readonly m: string; readonly d: 1 };

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class LeaseJournal {
  private readonly records = new Map<string, LeaseRecord>();
  private queue: string[] = [];
  private waiters: Waiter[] = [];
  private draining: Promise<void> | undefined;
  private fh: FileHandle | undefined;
  private generation = 0;
  private journalLines = 0;
  /** Set after a failed append: the journal may end in a torn line, so the next commit rewrites everything. */
  private mustCompact = false;
  private closed = false;
  /** Commits done (appends and snapshots), for tests and metrics. */
  commits = 0;

  private constructor(
    private readonly file: string,
    private readonly fsync: boolean,
    private readonly compactAfter: number,
  ) {}

  /** Loads the snapshot and replays the journal, then folds both into a new snapshot. */
  static async open(file: string, opts: LeaseJournalOptions = {}): Promise<LeaseJournal> {
    const j = new LeaseJournal(file, opts.fsync ?? true, opts.compactAfter ?? 20_000);
    await j.load();
    await j.compact();
    return j;
  }

  /** Every binding recovered or recorded so far (MAC → record). */
  get bindings(): ReadonlyMap<string, LeaseRecord> {
    return this.records;
  }

  /** Records `rec`; resolves once it is durable. */
  put(rec: LeaseRecord): Promise<void> {
    this.records.set(rec.mac, rec);
    return this.enqueue({ m: rec.mac, i: rec.ip, s: rec.state, e: rec.expiresAt });
  }

  /** Forgets the binding of `mac`; resolves once that is durable. */
  remove(mac: string): Promise<void> {
    if (!this.records.delete(mac)) return Promise.resolve();
    return this.enqueue({ m: mac, d: 1 });
  }

  /** Waits until every change made so far is durable. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.fh?.close();
    this.fh = undefined;
  }

  private enqueue(line: JournalLine): Promise<void> {
    if (this.closed) return Promise.reject(new DhcpLeaseFileError("DHCP_LEASE_STORE_CLOSED", "the lease store is closed"));
    this.queue.push(JSON.stringify(line));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.draining ??= this.drain();
    return done;
  }

  private async drain(): Promise<void> {
    // Yield once so every change made in this tick joins the first commit.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) {
        // Taken synchronously together: `records` now holds exactly the changes in `lines` and all before them.
        const lines = this.queue;
        const waiters = this.waiters;
        this.queue = [];
        this.waiters = [];
        try {
          if (this.mustCompact || this.journalLines + lines.length > this.compactAfter) await this.compact();
          else await this.append(lines);
          this.commits++;
          for (const w of waiters) w.resolve();
        } catch (err) {
          this.mustCompact = true;
          for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async append(lines: readonly string[]): Promise<void> {
    const fh = this.fh;
    if (!fh) throw new DhcpLeaseFileError("DHCP_LEASE_STORE_CLOSED", "the lease journal is not open");
    await fh.write(`${lines.join("\n")}\n`);
    if (this.fsync) await fh.datasync();
    this.journalLines += lines.length;
  }

  /** Writes every record as a new snapshot (next generation), then starts an empty journal of that generation. */
  private async compact(): Promise<void> {
    const generation = this.generation + 1;
    const body: SnapshotFile = { version: 2, generation, leases: [...this.records.values()] };
    const tmp = `${this.file}.tmp-${process.pid}`;
    await this.writeFile(tmp, JSON.stringify(body));
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await this.syncDir();
    // From here the old journal is stale by generation, whatever happens next.
    this.generation = generation;
    await this.fh?.close();
    this.fh = undefined;
    const fh = await open(this.journalPath, "w", 0o600);
    try {
      await fh.write(`${JSON.stringify({ generation })}\n`);
      if (this.fsync) await fh.datasync();
    } catch (err) {
      await fh.close();
      throw err;
    }
    this.fh = fh;
    this.journalLines = 0;
    this.mustCompact = false;
  }

  private get journalPath(): string {
    return `${this.file}.journal`;
  }

  private async writeFile(p: string, text: string): Promise<void> {
    const fh = await open(p, "w", 0o600);
    try {
      await fh.writeFile(text);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** A rename or a new file is durable only once its directory is (fsync(2) NOTES). */
  private async syncDir(): Promise<void> {
    if (!this.fsync) return;
    const dir = await open(path.dirname(this.file), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async load(): Promise<void> {
    const snapshot = await readIfExists(this.file);
    let snapshotGeneration = 0;
    if (snapshot !== undefined) {
      const data = parseSnapshot(this.file, snapshot);
      snapshotGeneration = data.generation ?? 0;
      for (const l of data.leases) this.records.set(l.mac, l);
    }
    this.generation = snapshotGeneration;
    const journal = await readIfExists(this.journalPath);
    // A journal is reset only after its snapshot is durable, and its header is written in one piece with
    // its newline: no newline at all means a crash while the header was being written, with nothing after it.
    if (journal === undefined || !journal.includes("\n")) return;
    const lines = journal.split("\n");
    const header = parseLine(lines[0] ?? "") as { generation?: unknown } | undefined;
    if (header === undefined || typeof header.generation !== "number") {
      throw new DhcpLeaseFileError("DHCP_LEASE_FILE_CORRUPT", `${this.journalPath}: no generation header`);
    }
    if (header.generation < snapshotGeneration) return;
    if (header.generation > snapshotGeneration) {
      throw new DhcpLeaseFileError("DHCP_LEASE_FILE_CORRUPT", `${this.journalPath} is newer than ${this.file} (was the snapshot replaced?)`);
    }
    for (let n = 1; n < lines.length; n++) {
      const text = lines[n]!;
      const last = n === lines.length - 1;
      if (last && text === "") break;
      const line = parseLine(text) as Partial<{ m: string; i: string; s: string; e: number; d: number }> | undefined;
      const valid = line !== undefined && typeof line.m === "string" && (line.d === 1 || (typeof line.i === "string" && (line.s === "bound" || line.s === "released") && typeof line.e === "number"));
      if (!valid) {
        // Only the final line can be torn by a crash mid-append, and it was never acknowledged.
        if (last) break;
        throw new DhcpLeaseFileError("DHCP_LEASE_FILE_CORRUPT", `${this.journalPath}: line ${n + 1} is not a lease change`);
      }
      if (line.d === 1) this.records.delete(line.m!);
      else this.records.set(line.m!, { mac: line.m!, ip: line.i!, state: line.s as "bound" | "released", expiresAt: line.e! });
    }
  }
}

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function parseSnapshot(file: string, text: string): SnapshotFile {
  const data = parseLine(text) as Partial<SnapshotFile> | undefined;
  if (data === undefined || (data.version !== 1 && data.version !== 2) || !Array.isArray(data.leases)) {
    throw new DhcpLeaseFileError("DHCP_LEASE_FILE_CORRUPT", `${file} is not a lease file`);
  }
  return data as SnapshotFile;
}
