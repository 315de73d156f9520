/**
 * Bad input: a bounded, seeded corpus of 100,000+ malformed and random TFTP
 * packets, sent to the listening port and to a live transfer's port, leaves
 * the server running and answering; drops are counted. Afterwards the real
 * tftp-hpa client still downloads an iPXE binary byte-identically. Both
 * engines (ADR 0028) go through it.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import dgram from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePacket, encodeAck, encodeRequest, Opcode } from "./packet.js";
import { TftpServer } from "./server.js";
import type { TftpEngine } from "./transfer.js";
import { RawTftpClient } from "./testing/raw-client.js";

const run = promisify(execFile);
const CORPUS_SIZE = 100_000;
const IPXE = "/usr/lib/ipxe/undionly.kpxe";

/** mulberry32: a small seeded PRNG so a failing corpus can be regenerated exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One corpus packet: random bytes, mutated requests, or well-formed packets that do not belong on the port. */
function corpusPacket(rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  switch (int(8)) {
    case 0:
      return bytes(int(700));
    case 1:
      return bytes(int(4));
    case 2: {
      // A request with its terminators cut off at a random point.
      const req = encodeRequest(Opcode.RRQ, `f${int(1000)}`, "octet", new Map([["blksize", String(int(70000))]]));
      return req.subarray(0, int(req.length));
    }
    case 3: {
      const req = encodeRequest(Opcode.RRQ, "x", "octet", new Map([["tsize", "0"]]));
      const m = Buffer.from(req);
      m[2 + int(m.length - 2)] = int(256);
      return m;
    }
    case 4:
      return Buffer.concat([Buffer.from([0, int(256)]), bytes(int(100))]);
    case 5:
      return encodeAck(int(65536));
    case 6:
      return Buffer.concat([Buffer.from([0, Opcode.DATA]), bytes(2 + int(600))]);
    default:
      return Buffer.concat([Buffer.from([0, [Opcode.ERROR, Opcode.OACK][int(2)]!]), bytes(int(64))]);
  }
}

let dir: string;
let server: TftpServer;
let port: number;

async function blast(target: number, count: number, seed: number): Promise<{ sent: number; decodable: number }> {
  const s = dgram.createSocket("udp4");
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  const rnd = prng(seed);
  let decodable = 0;
  try {
    // Paced in bursts so loopback's socket buffer does not overflow and every packet reaches the server.
    for (let i = 0; i < count; i += 32) {
      const burst: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + 32, count); j++) {
        const pkt = corpusPacket(rnd);
        const d = decodePacket(pkt);
        if (d.ok && (d.packet.op === Opcode.RRQ || d.packet.op === Opcode.WRQ)) decodable++;
        burst.push(new Promise((resolve) => s.send(pkt, target, "127.0.0.1", resolve)));
      }
      await Promise.all(burst);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    s.close();
  }
  return { sent: count, decodable };
}

const ENGINES: readonly TftpEngine[] = ["native", "js"];

describe.each(ENGINES)("with the %s engine", (engine) => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-fuzz-"));
    server = new TftpServer({ address: "127.0.0.1", port: 0, root: dir, fixed: new Map([["undionly.kpxe", IPXE]]), limits: { defaultTimeoutMs: 200 }, maxRetries: 2, engine });
    ({ port } = await server.listen());
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("a corpus of malformed and random packets", () => {
    it(`leaves the server running after ${CORPUS_SIZE} packets on the listening port, every drop counted`, async () => {
      const before = { ...server.metrics };
      const started = Date.now();
      const { sent, decodable } = await blast(port, CORPUS_SIZE, 0x5eed);
      for (let i = 0; i < 100 && server.metrics.packetsReceived - before.packetsReceived < sent; i++) await sleep(50);
      const received = server.metrics.packetsReceived - before.packetsReceived;
      const dropped = server.metrics.malformedDropped - before.malformedDropped;
      const requests = server.metrics.readRequests - before.readRequests + (server.metrics.writeRequestsRefused - before.writeRequestsRefused);
      expect(Date.now() - started).toBeLessThan(120_000);
      // Every packet that arrived is either a request or a counted drop.
      expect(dropped + requests).toBe(received);
      expect(received).toBeGreaterThanOrEqual(sent * 0.99);
      expect(requests).toBeLessThanOrEqual(decodable);
      expect(dropped).toBeGreaterThan(sent * 0.8);
    });

    it("leaves a live transfer undisturbed by garbage from its own peer", async () => {
      const c = await RawTftpClient.open();
      try {
        c.send(encodeRequest(Opcode.RRQ, "undionly.kpxe", "octet"), port);
        const d1 = await c.next();
        expect(d1?.packet?.op).toBe(Opcode.DATA);
        const tid = d1!.from.port;
        const dropsBefore = server.metrics.malformedDropped;
        const rnd = prng(7);
        for (let i = 0; i < 1000; i++) {
          let pkt = corpusPacket(rnd);
          // An ACK for a block never sent would be ignored anyway; keep the garbage garbage.
          if (pkt.length === 4 && pkt.readUInt16BE(0) === Opcode.ACK) pkt = Buffer.from([9, 9, 9]);
          if (pkt.length >= 2 && pkt.readUInt16BE(0) === Opcode.ERROR) pkt = Buffer.from([0]);
          c.send(pkt, tid);
        }
        await sleep(200);
        while (await c.next(300)); // drain retransmissions of block 1
        const chunks: Buffer[] = [d1!.packet!.op === Opcode.DATA ? Buffer.from(d1!.packet!.data) : Buffer.alloc(0)];
        for (let b = 1; ; b++) {
          c.send(encodeAck(b), tid);
          let r = await c.next();
          while (r?.packet?.op === Opcode.DATA && r.packet.block === (b & 0xffff)) r = await c.next();
          if (r?.packet?.op !== Opcode.DATA) throw new Error(`transfer disturbed at block ${b}: ${JSON.stringify(r?.packet)}`);
          chunks.push(Buffer.from(r.packet.data));
          if (r.packet.data.length < 512) {
            c.send(encodeAck(b + 1), tid);
            break;
          }
        }
        expect(createHash("sha256").update(Buffer.concat(chunks)).digest("hex")).toBe(createHash("sha256").update(readFileSync(IPXE)).digest("hex"));
        // The native engine adds a transfer's counters when it ends (native-transfer.ts).
        for (let i = 0; i < 100 && server.activeTransfers > 0; i++) await sleep(50);
        expect(server.metrics.malformedDropped).toBeGreaterThan(dropsBefore);
      } finally {
        await c.close();
      }
    });

    it("still serves tftp-hpa byte-identically afterwards", async () => {
      const out = path.join(dir, "after.kpxe");
      await run("tftp", ["-m", "binary", "127.0.0.1", String(port), "-c", "get", "undionly.kpxe", out], { timeout: 30_000 });
      expect(createHash("sha256").update(readFileSync(out)).digest("hex")).toBe(createHash("sha256").update(readFileSync(IPXE)).digest("hex"));
    });
  });
});
