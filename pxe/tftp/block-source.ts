/**
 * Where a transfer's bytes come from. Large files stream from disk with
 * positional reads (no whole-file buffering); small hot files such as the
 * iPXE binaries are kept in memory, revalidated by size and mtime.
 */
import { open, readFile, type FileHandle } from "node:fs/promises";
import type { ResolvedFile } from "./file-resolver.js";

export interface BlockSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter only at end of file. */
  read(offset: number, length: number): Promise<Buffer>;
  /** The same bytes when they are already in memory, without waiting; otherwise `undefined`. */
  peek(offset: number, length: number): Buffer | undefined;
  /** Where the native pump (ADR 0028) reads the bytes itself: the whole file in memory, or an open descriptor for pread(2). */
  backing(): { readonly buffer: Buffer } | { readonly fd: number };
  close(): Promise<void>;
}

export class BufferSource implements BlockSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  read(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(this.peek(offset, length));
  }
  peek(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, Math.min(offset + length, this.buf.length));
  }
  backing(): { readonly buffer: Buffer } {
    return { buffer: this.buf };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Streams a large file with positional reads of whole blocks, about
 * `CHUNK_TARGET` bytes at a time, one chunk read ahead, so a transfer holds
 * at most two chunks and every block is served from memory without a
 * thread-pool round trip. A chunk is a whole number of the transfer's blocks:
 * no block straddles two chunks (each such block cost a positional read of
 * its own while the transfer waited).
 */
export class DiskSource implements BlockSource {
  private static readonly CHUNK_TARGET = 512 * 1024;
  private readonly chunkBytes: number;
  private readonly chunks = new Map<number, Promise<Buffer>>();
  private readonly ready = new Map<number, Buffer>();
  /** Highest chunk whose read-ahead was started: it starts once per chunk, not once per block. */
  private readAheadFrom = 0;

  private constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    blockSize: number,
  ) {
    this.chunkBytes = Math.max(1, Math.floor(DiskSource.CHUNK_TARGET / blockSize)) * blockSize;
  }

  /** `blockSize` aligns the chunks to the transfer's blocks (RFC 2348 blksize, 512 by default). */
  static async open(p: string, size: number, blockSize = 512): Promise<DiskSource> {
    return new DiskSource(await open(p, "r"), size, blockSize);
  }

  private chunk(index: number): Promise<Buffer> {
    let c = this.chunks.get(index);
    if (c === undefined) {
      c = this.readAt(index * this.chunkBytes, this.chunkBytes).then((buf) => {
        if (this.chunks.has(index)) this.ready.set(index, buf);
        return buf;
      });
      this.chunks.set(index, c);
      // Keep the current and the next chunk only; retransmissions never reach further back than a window.
      for (const k of this.chunks.keys()) {
        if (k < index - 1) {
          this.chunks.delete(k);
          this.ready.delete(k);
        }
      }
    }
    return c;
  }

  private async readAt(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.fh.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  peek(offset: number, length: number): Buffer | undefined {
    const index = Math.floor(offset / this.chunkBytes);
    const start = offset - index * this.chunkBytes;
    const end = Math.min(offset + length, this.size);
    if (start + (end - offset) > this.chunkBytes) return undefined;
    const buf = this.ready.get(index);
    if (buf === undefined) return undefined;
    // Past the middle of a chunk, read the next one ahead (once), so it is in memory when the transfer gets there.
    if (index >= this.readAheadFrom && start + length > this.chunkBytes / 2) {
      this.readAheadFrom = index + 1;
      if ((index + 1) * this.chunkBytes < this.size) void this.chunk(index + 1).catch(() => undefined);
    }
    return buf.subarray(start, start + Math.max(0, end - offset));
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const hit = this.peek(offset, length);
    if (hit) return hit;
    const end = Math.min(offset + length, this.size);
    const first = Math.floor(offset / this.chunkBytes);
    const last = Math.floor(Math.max(offset, end - 1) / this.chunkBytes);
    if (first !== last) return this.readAt(offset, length);
    const buf = await this.chunk(first);
    const start = offset - first * this.chunkBytes;
    return buf.subarray(start, start + Math.max(0, end - offset));
  }

  backing(): { readonly fd: number } {
    return { fd: this.fh.fd };
  }

  close(): Promise<void> {
    this.chunks.clear();
    this.ready.clear();
    return this.fh.close();
  }
}

interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly data: Buffer;
}

export interface SourceCacheOptions {
  /** Files up to this size are cached in memory. @default 4 MiB */
  readonly maxFileBytes?: number;
  /** Total bytes the cache may hold. @default 64 MiB */
  readonly maxTotalBytes?: number;
}

export class SourceCache {
  private readonly entries = new Map<string, CacheEntry>();
  private total = 0;
  private readonly maxFile: number;
  private readonly maxTotal: number;

  constructor(opts: SourceCacheOptions = {}) {
    this.maxFile = opts.maxFileBytes ?? 4 * 1024 * 1024;
    this.maxTotal = opts.maxTotalBytes ?? 64 * 1024 * 1024;
  }

  /**
   * The file's bytes when they are in memory and still current (same size and
   * mtime), without waiting: the server starts such a transfer in the same
   * event-loop turn as its request. `undefined` means call `open`.
   */
  cached(file: ResolvedFile): BufferSource | undefined {
    if (file.size > this.maxFile) return undefined;
    const hit = this.entries.get(file.path);
    return hit && hit.size === file.size && hit.mtimeMs === file.mtimeMs ? new BufferSource(hit.data) : undefined;
  }

  /** `blockSize` is the transfer's (RFC 2348): a file streamed from disk is read in whole blocks. */
  async open(file: ResolvedFile, blockSize?: number): Promise<BlockSource> {
    if (file.size > this.maxFile) return DiskSource.open(file.path, file.size, blockSize);
    const hit = this.cached(file);
    if (hit) return hit;
    const data = await readFile(file.path);
    this.remember(file.path, { size: file.size, mtimeMs: file.mtimeMs, data });
    return new BufferSource(data);
  }

  private remember(key: string, entry: CacheEntry): void {
    const old = this.entries.get(key);
    if (old) {
      this.total -= old.data.length;
      this.entries.delete(key);
    }
    while (this.total + entry.data.length > this.maxTotal && this.entries.size > 0) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CacheEntry];
      this.entries.delete(oldestKey);
      this.total -= oldest.data.length;
    }
    if (entry.data.length <= this.maxTotal) {
      this.entries.set(key, entry);
      this.total += entry.data.length;
    }
  }
}

/** RFC 1350 §5 / RFC 764 netascii: LF → CR LF, a lone CR → CR NUL. */
export function toNetascii(data: Buffer): Buffer {
  let extra = 0;
  for (const b of data) if (b === 0x0a || b === 0x0d) extra++;
  if (extra === 0) return data;
  const out = Buffer.allocUnsafe(data.length + extra);
  let j = 0;
  for (const b of data) {
    if (b === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (b === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else {
      out[j++] = b;
    }
  }
  return out;
}
