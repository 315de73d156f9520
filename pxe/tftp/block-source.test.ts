import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskSource, SourceCache } from "./block-source.js";
import type { ResolvedFile } from "./file-resolver.js";

let dir: string;
let file: string;
// Neither a multiple of 512 KiB nor of any block size below: every chunk boundary falls inside some block's old span.
const data = randomBytes(2 * 1024 * 1024 + 1001);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-source-"));
  file = path.join(dir, "big.bin");
  writeFileSync(file, data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("DiskSource", () => {
  it.each([8, 512, 1432, 1468, 65464])("serves every %i-byte block of a large file from memory once its chunk is read (no block spans two chunks)", async (blockSize) => {
    const source = await DiskSource.open(file, data.length, blockSize);
    try {
      const blocks = Math.floor(data.length / blockSize) + 1;
      let waits = 0;
      const notInMemory: number[] = [];
      const wrong: number[] = [];
      for (let b = 0; b < blocks; b++) {
        const offset = b * blockSize;
        let got = source.peek(offset, blockSize);
        if (got === undefined) {
          waits++;
          // Waiting loads the block's chunk; the block must then be in memory, not fetched on its own.
          await source.read(offset, blockSize);
          got = source.peek(offset, blockSize);
        }
        if (got === undefined) notInMemory.push(b);
        else if (!got.equals(data.subarray(offset, offset + blockSize))) wrong.push(b);
      }
      expect(notInMemory).toEqual([]);
      expect(wrong).toEqual([]);
      // At most one wait per chunk of about 512 KiB (fewer when a read-ahead landed in time).
      expect(waits).toBeLessThanOrEqual(Math.ceil(data.length / (512 * 1024 - blockSize)) + 1);
    } finally {
      await source.close();
    }
  });

  it("still serves a read that spans chunks (a netascii conversion reads the whole file)", async () => {
    const source = await DiskSource.open(file, data.length, 1468);
    try {
      const got = await source.read(0, data.length);
      expect(got.equals(data)).toBe(true);
    } finally {
      await source.close();
    }
  });

  it("returns a short block at the end of the file and an empty one past it", async () => {
    const source = await DiskSource.open(file, data.length, 1468);
    try {
      const last = Math.floor(data.length / 1468) * 1468;
      expect((await source.read(last, 1468)).equals(data.subarray(last))).toBe(true);
      expect((await source.read(data.length, 1468)).length).toBe(0);
    } finally {
      await source.close();
    }
  });
});

describe("SourceCache", () => {
  const small = (name: string, bytes: Buffer): ResolvedFile => {
    const p = path.join(dir, name);
    writeFileSync(p, bytes);
    const st = statSync(p);
    return { ok: true, path: p, size: st.size, mtimeMs: st.mtimeMs };
  };

  it("has a file in memory, without waiting, only after it was opened once", async () => {
    const cache = new SourceCache({ maxFileBytes: 4096 });
    const f = small("hot.bin", randomBytes(1000));
    expect(cache.cached(f)).toBeUndefined();
    await cache.open(f);
    expect(cache.cached(f)?.peek(0, 1000).equals(readFileSync(f.path))).toBe(true);
  });

  it.each([
    ["a file that changed size since it was read", (f: ResolvedFile): ResolvedFile => small("hot.bin", randomBytes(f.size + 1))],
    ["a file whose mtime changed since it was read", (f: ResolvedFile): ResolvedFile => {
      utimesSync(f.path, new Date(), new Date(f.mtimeMs + 5000));
      const st = statSync(f.path);
      return { ...f, mtimeMs: st.mtimeMs };
    }],
  ])("does not answer from memory for %s", async (_label, change) => {
    const cache = new SourceCache({ maxFileBytes: 4096 });
    const f = small("hot.bin", randomBytes(1000));
    await cache.open(f);
    expect(cache.cached(change(f))).toBeUndefined();
  });

  it("never holds a file above its size limit: that one streams from disk", async () => {
    const cache = new SourceCache({ maxFileBytes: 100 });
    const f = small("cold.bin", randomBytes(1000));
    const source = await cache.open(f);
    try {
      expect(source).toBeInstanceOf(DiskSource);
      expect(cache.cached(f)).toBeUndefined();
    } finally {
      await source.close();
    }
  });
});

