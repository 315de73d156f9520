import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadNativePump, NATIVE_PUMP_PATH, type NativePump, type NativePumpStart, type NativePumpStats } from "./native-pump.js";
import { Opcode } from "./packet.js";

// scripts/build-native.sh runs in `make deps`: a missing addon is a failure here, never a skip.
function pump(): NativePump {
  const p = loadNativePump();
  if (p instanceof Error) throw p;
  return p;
}

const BASE: NativePumpStart = {
  localAddress: "127.0.0.1",
  peerAddress: "127.0.0.1",
  peerPort: 9,
  buffer: Buffer.alloc(100),
  size: 100,
  blockSize: 512,
  windowSize: 1,
  timeoutMs: 100,
  maxRetries: 1,
  oackPatienceMs: 100,
};

type Done = { outcome: string; detail: string; stats: NativePumpStats };
function startAndWait(opts: NativePumpStart, afterStart?: (h: ReturnType<NativePump["start"]>) => void): Promise<Done> {
  return new Promise((resolve) => {
    const h = pump().start(opts, (outcome, detail, stats) => resolve({ outcome, detail, stats }));
    afterStart?.(h);
  });
}

async function silentPeer(): Promise<{ port: number; close(): void; got: Buffer[] }> {
  const s = dgram.createSocket("udp4");
  const got: Buffer[] = [];
  s.on("message", (m) => got.push(m));
  s.bind(0, "127.0.0.1");
  await once(s, "listening");
  return { port: s.address().port, close: () => s.close(), got };
}

describe("the native TFTP pump's interface", () => {
  it.each([
    ["a block size under RFC 2348's 8", { blockSize: 7 }, /blockSize must be 8\.\.65464/],
    ["a window of 0 (RFC 7440 starts at 1)", { windowSize: 0 }, /windowSize 1\.\.65535/],
    ["a local address that is not IPv4", { localAddress: "::1" }, /localAddress must be an IPv4 address/],
    ["a negative size", { size: -1 }, /size must be a whole number of bytes/],
    ["a buffer shorter than the size", { size: 101 }, /buffer is shorter than size/],
    ["neither a buffer nor a descriptor", { buffer: undefined }, /fd must be a number/],
    ["a negative busy-poll time", { busyPollMicros: -1 }, /busyPollMicros must be a number/],
  ] as [string, Partial<NativePumpStart>, RegExp][])("refuses %s with TFTP_PUMP_BAD_OPTION", (_name, change, message) => {
    let caught: unknown;
    try {
      pump().start({ ...BASE, ...change }, () => undefined);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as NodeJS.ErrnoException).code).toBe("TFTP_PUMP_BAD_OPTION");
    expect((caught as Error).message).toMatch(message);
  });

  it("refuses a handle it did not make with TFTP_PUMP_BAD_HANDLE", () => {
    expect(() => pump().cancel({} as never)).toThrow(expect.objectContaining({ code: "TFTP_PUMP_BAD_HANDLE" }));
  });

  it("sends block 1 at once without an OACK, and ends as cancelled when asked, telling the client nothing", async () => {
    const peer = await silentPeer();
    try {
      const done = await startAndWait({ ...BASE, peerPort: peer.port, timeoutMs: 10_000 }, (h) => setTimeout(() => pump().cancel(h), 100));
      expect(done.outcome).toBe("cancelled");
      expect(peer.got).toHaveLength(1);
      expect(peer.got[0]!.readUInt16BE(0)).toBe(Opcode.DATA);
      expect(peer.got[0]!.readUInt16BE(2)).toBe(1);
      expect(done.stats).toEqual({ dataPacketsSent: 1, bytesSent: 100, retransmits: 0, malformedDropped: 0 });
    } finally {
      peer.close();
    }
  });

  it("reports an OACK awaiting its ACK 0 as soon as start returns (the EDK2 check reads it)", async () => {
    const peer = await silentPeer();
    try {
      let awaiting: boolean | undefined;
      const done = await startAndWait({ ...BASE, peerPort: peer.port, oack: Buffer.from([0, Opcode.OACK, 0x74, 0x73, 0x69, 0x7a, 0x65, 0, 0x31, 0x30, 0x30, 0]), oackPatienceMs: 10_000 }, (h) => {
        awaiting = pump().awaitingOackAck(h);
        pump().cancel(h);
      });
      expect(awaiting).toBe(true);
      expect(done.outcome).toBe("cancelled");
    } finally {
      peer.close();
    }
  });

  it("gives up after the retry budget with ERROR 0 to the client, and counts the retransmissions", async () => {
    const peer = await silentPeer();
    try {
      const done = await startAndWait({ ...BASE, peerPort: peer.port, timeoutMs: 50, maxRetries: 2 });
      expect(done).toMatchObject({ outcome: "timed-out", detail: "no ACK after 2 retries" });
      expect(done.stats.retransmits).toBe(2);
      const last = peer.got.at(-1)!;
      await new Promise((r) => setTimeout(r, 50));
      expect(peer.got.filter((p) => p.readUInt16BE(0) === Opcode.DATA)).toHaveLength(3);
      expect(last.readUInt16BE(0)).toBe(Opcode.ERROR);
      expect(last.subarray(4, -1).toString("latin1")).toBe("Transfer timed out");
    } finally {
      peer.close();
    }
  });

  it("ends a transfer as aborted when the client's port is unreachable (ADR 0020)", async () => {
    const gone = await silentPeer();
    gone.close();
    const done = await startAndWait({ ...BASE, peerPort: gone.port, timeoutMs: 200, maxRetries: 5 });
    expect(done).toMatchObject({ outcome: "aborted", detail: "client port unreachable" });
  });

  it("ends a transfer as failed, with bind's error, when its local address is not this machine's (the pump opens the socket)", async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const done = await startAndWait({ ...BASE, localAddress: "192.0.2.1" });
    expect(done.outcome).toBe("failed");
    expect(done.detail).toMatch(/^bind: /);
    expect(done.stats.dataPacketsSent).toBe(0);
  });

  it("keeps the process alive while a transfer is out, and lets it exit once none is", () => {
    // Only the pump holds this child's event loop: the silent peer's socket is unref'd.
    const script = `
      const pump = require(${JSON.stringify(NATIVE_PUMP_PATH)});
      const peer = require("node:dgram").createSocket("udp4");
      peer.bind(0, "127.0.0.1", () => {
        peer.unref();
        const base = ${JSON.stringify({ ...BASE, buffer: undefined })};
        pump.start({ ...base, buffer: Buffer.alloc(100), peerPort: peer.address().port, timeoutMs: 100, maxRetries: 1 }, (outcome) => {
          console.log("first " + outcome);
          pump.start({ ...base, buffer: Buffer.alloc(100), peerPort: peer.address().port, timeoutMs: 100, maxRetries: 1 }, (again) => console.log("second " + again));
        });
      });`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split("\n")).toEqual(["first timed-out", "second timed-out"]);
  });

  it.each([
    ["without busy polling", 0],
    ["with busy polling (ADR 0029)", 200],
  ])("serves a file from a descriptor through its read-ahead, re-reading an older chunk when a window is acknowledged short, %s", async (_name, busyPollMicros) => {
    // 512-byte blocks: a 64 KiB read-ahead holds blocks 1-128. Windows of 3 put 127-129 across the
    // boundary: once 129 (second chunk) is in, the client acknowledges 127 as if 128 and 129 were
    // lost (RFC 7440 §4), and the pump must resend 128 from the first chunk again.
    const dir = mkdtempSync(path.join(tmpdir(), "anvil-pump-"));
    const file = path.join(dir, "f.bin");
    const bytes = randomBytes(200 * 1024 + 77);
    writeFileSync(file, bytes);
    const fd = openSync(file, "r");
    const client = dgram.createSocket("udp4");
    client.bind(0, "127.0.0.1");
    await once(client, "listening");
    const blocks = new Map<number, Buffer>();
    const window = 3;
    let expected = 1;
    let lastAck = 0;
    let shortAckSent = false;
    let mismatched = 0;
    const ack = (n: number, to: dgram.RemoteInfo): void => {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(Opcode.ACK, 0);
      b.writeUInt16BE(n, 2);
      client.send(b, to.port, to.address);
      lastAck = n;
    };
    client.on("message", (m, rinfo) => {
      if (m.readUInt16BE(0) !== Opcode.DATA || m.readUInt16BE(2) !== expected) return;
      const block = expected;
      const data = Buffer.from(m.subarray(4));
      if (blocks.has(block) && !blocks.get(block)!.equals(data)) mismatched++;
      blocks.set(block, data);
      expected++;
      if (block === 129 && !shortAckSent) {
        shortAckSent = true;
        expected = 128;
        ack(127, rinfo);
      } else if (block - lastAck === window || data.length < 512) {
        ack(block, rinfo);
      }
    });
    // The pump busy-polls only while two or more transfers run: keep a second one waiting alongside.
    let cancelCompanion = (): void => undefined;
    const idle = busyPollMicros > 0 ? await silentPeer() : undefined;
    const companion = idle ? startAndWait({ ...BASE, peerPort: idle.port, timeoutMs: 10_000, busyPollMicros }, (h) => (cancelCompanion = () => pump().cancel(h))) : undefined;
    try {
      const done = await startAndWait({ ...BASE, buffer: undefined, fd, size: bytes.length, peerPort: client.address().port, windowSize: window, timeoutMs: 2000, busyPollMicros });
      expect(done.outcome).toBe("completed");
      expect(shortAckSent).toBe(true);
      expect(mismatched).toBe(0);
      const received = Buffer.concat([...blocks.keys()].sort((a, b) => a - b).map((k) => blocks.get(k)!));
      expect(received.equals(bytes)).toBe(true);
      expect(done.stats.dataPacketsSent).toBe(Math.floor(bytes.length / 512) + 1 + 2);
    } finally {
      cancelCompanion();
      expect((await companion)?.outcome ?? "cancelled").toBe("cancelled");
      idle?.close();
      client.close();
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
