import { createHash, randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAck, encodeError, encodeRequest, Opcode, TftpErrorCode } from "./packet.js";
import { TftpServer } from "./server.js";
import type { TftpEngine } from "./transfer.js";
import { download, RawTftpClient } from "./testing/raw-client.js";

let dir: string;
let server: TftpServer;
let port: number;
const files = new Map<string, Buffer>();
/** Transfers end a moment after the client's last ACK leaves. */
async function settled(): Promise<void> {
  for (let i = 0; i < 100 && server.activeTransfers > 0; i++) await sleep(50);
}
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

// Every rule holds for both engines: the native pump (ADR 0028) and read-transfer.ts.
const ENGINES: readonly TftpEngine[] = ["native", "js"];

describe.each(ENGINES)("with the %s engine", (engine) => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-unit-"));
    const make = (name: string, size: number): void => {
      const b = randomBytes(size);
      files.set(name, b);
      writeFileSync(path.join(dir, name), b);
    };
    make("empty", 0);
    make("exact", 1024);
    make("small", 3000);
    // 8-byte blocks make 65,536+ blocks cheap: the wire block number wraps to 0.
    make("rollover", 8 * 70_000 + 3);
    make("large", 5 * 1024 * 1024 + 17);
    server = new TftpServer({ address: "127.0.0.1", port: 0, root: dir, cacheMaxFileBytes: 1024 * 1024, engine, limits: { defaultTimeoutMs: 200 }, maxRetries: 3, oackPatienceMs: 500 });
    ({ port } = await server.listen());
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("TftpServer read transfers", () => {
    it.each([
      ["an empty file with one empty block", "empty", {}],
      ["a file that is an exact multiple of 512 with a final empty block", "exact", {}],
      ["a small file in lock-step", "small", {}],
      ["a small file with blksize 1432 and tsize (iPXE)", "small", { blksize: "1432", tsize: "0" }],
      ["a large file streamed from disk with windowsize 8", "large", { blksize: "1468", windowsize: "8" }],
      ["a file past block 65535 (rollover to 0) with blksize 8", "rollover", { blksize: "8", windowsize: "64" }],
    ] as [string, string, Record<string, string>][])("sends %s byte-identically", async (_name, file, options) => {
      const got = await download(port, file, { options });
      expect(sha(got.data)).toBe(sha(files.get(file)!));
      if (options.tsize !== undefined) expect(got.oack?.tsize).toBe(String(files.get(file)!.length));
    }, 60_000);

    it("moves blocks with the engine it was asked for", () => {
      expect(server.engine.name).toBe(engine);
    });

    it("answers from a port other than the listening one (RFC 1350 §4 TID)", async () => {
      const got = await download(port, "small");
      expect(got.serverPort).not.toBe(port);
    });

    it.each([
      ["every first ACK of a window in lock-step", {}],
      ["every first ACK of a window with windowsize 4", { windowsize: "4" }],
    ])("recovers when it loses %s", async (_name, options) => {
      const before = server.metrics.retransmits;
      const file = files.get("small")!;
      const got = await download(port, "small", { options, loseAck: (block, attempt) => block > 0 && attempt === 1 && block < 6, timeoutMs: 300 });
      expect(sha(got.data)).toBe(sha(file));
      // The native engine adds a transfer's counters when it ends (native-transfer.ts).
      await settled();
      expect(server.metrics.retransmits).toBeGreaterThan(before);
    });

    it("resends from the block after a duplicate ACK when a window is in use (RFC 7440 §4)", async () => {
      const c = await RawTftpClient.open();
      try {
        c.send(encodeRequest(Opcode.RRQ, "small", "octet", new Map([["windowsize", "4"]])), port);
        const oack = await c.next();
        expect(oack?.packet?.op).toBe(Opcode.OACK);
        const tid = oack!.from.port;
        c.send(encodeAck(0), tid);
        const first: number[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await c.next();
          if (r?.packet?.op === Opcode.DATA) first.push(r.packet.block);
        }
        expect(first).toEqual([1, 2, 3, 4]);
        c.send(encodeAck(2), tid);
        const again: number[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await c.next();
          if (r?.packet?.op === Opcode.DATA) again.push(r.packet.block);
        }
        expect(again).toEqual([3, 4, 5, 6]);
        c.send(encodeError(TftpErrorCode.NotDefined, "done"), tid);
      } finally {
        await c.close();
      }
    });
  });

  describe("TftpServer refusals and strangers", () => {
    it.each([
      ["a write request with ERROR 2 (RFC 1350 §5)", Opcode.WRQ, "small", "octet", TftpErrorCode.AccessViolation],
      ["a missing file with ERROR 1", Opcode.RRQ, "missing", "octet", TftpErrorCode.FileNotFound],
      ["a traversal with ERROR 2", Opcode.RRQ, "../etc/passwd", "octet", TftpErrorCode.AccessViolation],
      ["mail mode with ERROR 4", Opcode.RRQ, "small", "mail", TftpErrorCode.IllegalOperation],
    ] as const)("refuses %s", async (_name, op, file, mode, code) => {
      const c = await RawTftpClient.open();
      try {
        c.send(encodeRequest(op, file, mode), port);
        const r = await c.next();
        expect(r?.packet?.op === Opcode.ERROR && r.packet.code).toBe(code);
      } finally {
        await c.close();
      }
    });

    it("refuses a stranger on a transfer's port at the kernel (ICMP port unreachable, ADR 0020) and finishes the transfer anyway", async () => {
      const c = await RawTftpClient.open();
      // Connected, so the kernel hands this socket the ICMP answer as ECONNREFUSED; an unconnected one never hears of it.
      const stranger = dgram.createSocket("udp4");
      const heard: Buffer[] = [];
      stranger.on("message", (m) => heard.push(m));
      try {
        c.send(encodeRequest(Opcode.RRQ, "small", "octet"), port);
        const d1 = await c.next();
        expect(d1?.packet?.op).toBe(Opcode.DATA);
        const tid = d1!.from.port;
        const refused = new Promise<NodeJS.ErrnoException>((resolve) => stranger.once("error", resolve));
        await new Promise<void>((resolve) => stranger.connect(tid, "127.0.0.1", () => resolve()));
        stranger.send(encodeAck(1));
        const err = await Promise.race([refused, sleep(5000).then(() => undefined)]);
        expect(err?.code).toBe("ECONNREFUSED");
        expect(heard).toHaveLength(0);
        const blocks: Buffer[] = [d1!.packet!.op === Opcode.DATA ? d1!.packet!.data : Buffer.alloc(0)];
        for (let b = 1; ; b++) {
          c.send(encodeAck(b), tid);
          const r = await c.next();
          if (r?.packet?.op !== Opcode.DATA) throw new Error("transfer disturbed");
          blocks.push(Buffer.from(r.packet.data));
          if (r.packet.data.length < 512) {
            c.send(encodeAck(b + 1), tid);
            break;
          }
        }
        expect(sha(Buffer.concat(blocks))).toBe(sha(files.get("small")!));
      } finally {
        await c.close();
        await new Promise<void>((resolve) => stranger.close(() => resolve()));
      }
    });

    it("ends a transfer as aborted when its client's port is gone (ICMP port unreachable on the connected socket)", async () => {
      await settled();
      const before = { aborted: server.metrics.transfersAborted, timedOut: server.metrics.transfersTimedOut };
      const c = await RawTftpClient.open();
      c.send(encodeRequest(Opcode.RRQ, "small", "octet"), port);
      const d1 = await c.next();
      expect(d1?.packet?.op).toBe(Opcode.DATA);
      await c.close();
      // The first retransmission (200 ms timeout here) meets the closed port; the retry budget would take seconds.
      for (let i = 0; i < 100 && server.metrics.transfersAborted === before.aborted; i++) await sleep(50);
      expect(server.metrics.transfersAborted).toBe(before.aborted + 1);
      expect(server.metrics.transfersTimedOut).toBe(before.timedOut);
      await settled();
      expect(server.activeTransfers).toBe(0);
    });
  });

  describe("EDK2's abort after OACK", () => {
    it.each([
      ["with an ERROR 8 packet", true],
      ["with nothing at all", false],
    ])("serves the second request after an abort %s, and cleans up the first", async (_name, sendsError) => {
      await settled();
      const completedBefore = server.metrics.transfersCompleted;
      const first = await RawTftpClient.open();
      try {
        first.send(encodeRequest(Opcode.RRQ, "large", "octet", new Map([["blksize", "1468"], ["windowsize", "4"], ["tsize", "0"]])), port);
        const oack = await first.next();
        expect(oack?.packet?.op === Opcode.OACK && Object.fromEntries(oack.packet.options)).toEqual({ blksize: "1468", windowsize: "4", tsize: String(files.get("large")!.length) });
        if (sendsError) first.send(encodeError(TftpErrorCode.OptionNegotiationFailed, "tsize only"), oack!.from.port);
      } finally {
        await first.close();
      }
      const got = await download(port, "large", { options: { blksize: "1468", windowsize: "4" } });
      expect(sha(got.data)).toBe(sha(files.get("large")!));
      await settled();
      expect(server.metrics.transfersCompleted).toBe(completedBefore + 1);
      expect(server.activeTransfers).toBe(0);
    });

    it("leaves parallel transfers of one file to one address alone (curl --parallel)", async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => download(port, "small", { options: { blksize: "1024" } })));
      for (const r of results) expect(sha(r.data)).toBe(sha(files.get("small")!));
    });

    it("abandons a transfer whose client vanished after the bounded retries", async () => {
      await settled();
      const before = server.metrics.transfersTimedOut;
      const c = await RawTftpClient.open();
      try {
        c.send(encodeRequest(Opcode.RRQ, "small", "octet", new Map([["blksize", "1024"]])), port);
        const arrivals: number[] = [];
        while (await c.next(2500)) arrivals.push(Date.now());
        // the OACK, its 3 retransmissions, then a final ERROR
        expect(arrivals).toHaveLength(5);
        // The first repeat waits out the clients' own timer (500 ms here, not the 200 ms timeout):
        // atftp aborts on a second OACK, so the client's repeated ACK 0 must get its chance first.
        expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(480);
        // then RFC 1123 §4.2.3.2 backoff: 200 ms doubled twice is 800 ms
        expect(arrivals[3]! - arrivals[2]!).toBeGreaterThanOrEqual(780);
      } finally {
        await c.close();
      }
      expect(server.metrics.transfersTimedOut).toBe(before + 1);
    }, 20_000);
  });
});

describe("TftpServer with a log sink that throws", () => {
  it("loses only the log lines: the transfer completes and the counter says how many lines were lost", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "anvil-tftp-log-"));
    const bytes = randomBytes(3000);
    writeFileSync(path.join(root, "f"), bytes);
    const throwing = new TftpServer({ address: "127.0.0.1", port: 0, root, log: () => {
      throw new Error("ENOSPC: no space left on device, write");
    } });
    try {
      const { port: p } = await throwing.listen();
      const got = await download(p, "f", { options: { blksize: "1024" } });
      expect(sha(got.data)).toBe(sha(bytes));
      for (let i = 0; i < 100 && throwing.activeTransfers > 0; i++) await sleep(20);
      expect(throwing.metrics.transfersCompleted).toBe(1);
      // transfer-start and transfer-end
      expect(throwing.metrics.logLinesLost).toBe(2);
    } finally {
      await throwing.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
