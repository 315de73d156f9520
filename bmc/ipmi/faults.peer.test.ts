/**
 * Faults between the IPMI driver and a real BMC (ipmi_sim): wrong
 * credentials, nobody listening, a silent port, garbage, and a UDP proxy in
 * the middle that drops, truncates or pollutes datagrams. Each ends in its
 * typed error or is recovered by retransmission, fast, and no message ever
 * carries the password.
 */
import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startIpmiSim, type IpmiPeer } from "../../e2e/framework/ipmi-sim.js";
import { freeUdpPort } from "../../e2e/framework/ports.js";
import { BmcErrorCode, isBmcError } from "../errors.js";
import { createIpmiClient, type IpmiClient, type IpmiClientOptions } from "./index.js";

const SECRET = "Sup3r-S3cret-pw";
const FAST = { attempts: 3, initialTimeoutMs: 100, maxTimeoutMs: 400 };

type Verdict = "forward" | "drop" | { replace: Buffer } | { before: Buffer };

/** A UDP man in the middle on 127.0.0.1: each datagram, either way, passes through a verdict. */
class UdpProxy {
  readonly counts = { requests: 0, replies: 0, dropped: 0, altered: 0 };
  onRequest: (n: number, pkt: Buffer) => Verdict = () => "forward";
  onReply: (n: number, pkt: Buffer) => Verdict = () => "forward";
  private readonly front = dgram.createSocket("udp4");
  private readonly back = dgram.createSocket("udp4");
  private client: { address: string; port: number } | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    await new Promise<void>((r) => this.front.bind(0, "127.0.0.1", r));
    await new Promise<void>((r) => this.back.bind(0, "127.0.0.1", r));
    this.port = this.front.address().port;
    this.front.on("message", (msg, rinfo) => {
      this.client = { address: rinfo.address, port: rinfo.port };
      this.apply(this.onRequest(++this.counts.requests, msg), msg, (b) => this.back.send(b, this.target.port, this.target.host));
    });
    this.back.on("message", (msg) => {
      const c = this.client;
      if (!c) return;
      this.apply(this.onReply(++this.counts.replies, msg), msg, (b) => this.front.send(b, c.port, c.address));
    });
  }

  private apply(v: Verdict, msg: Buffer, send: (b: Buffer) => void): void {
    if (v === "drop") {
      this.counts.dropped++;
      return;
    }
    if (v === "forward") return send(msg);
    this.counts.altered++;
    if ("replace" in v) return send(v.replace);
    send(v.before);
    send(msg);
  }

  stop(): void {
    this.front.close();
    this.back.close();
  }
}

let sim: IpmiPeer;
const cleanups: (() => Promise<void> | void)[] = [];
const messages: string[] = [];

function client(port: number, over: Partial<IpmiClientOptions> = {}): IpmiClient {
  const c = createIpmiClient(
    { host: "127.0.0.1", port },
    { credentials: { username: "admin", password: SECRET }, timeoutMs: 10_000, retry: FAST, ...over },
  );
  cleanups.push(() => c.close());
  return c;
}

/** Runs `p`, records the error's message, cause chain and code for the secret check, returns it. */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    const ms = Date.now() - started;
    if (!isBmcError(err)) throw err;
    let text = `${err.message} ${err.bmcMessage ?? ""} ${err.stack ?? ""}`;
    for (let c: unknown = err.cause; c instanceof Error; c = c.cause) text += ` ${c.message}`;
    messages.push(text);
    return { code: err.code, message: err.message, ms };
  }
  throw new Error("expected a failure");
}

async function proxied(): Promise<{ proxy: UdpProxy; c: IpmiClient }> {
  const proxy = new UdpProxy({ host: sim.host, port: sim.port });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  return { proxy, c: client(proxy.port) };
}

beforeAll(async () => {
  sim = await startIpmiSim({ username: "admin", password: SECRET });
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

afterAll(async () => {
  try {
    // Every error message any test saw, with causes and stacks: none may carry the password.
    expect(messages.length).toBeGreaterThan(5);
    for (const m of messages) expect(m).not.toContain(SECRET);
    expect(sim.process.tail(10_000)).not.toContain(SECRET);
  } finally {
    await sim?.stop();
  }
});

describe("IPMI faults against ipmi_sim", () => {
  it.each([
    { what: "a wrong password", username: "admin", password: "wrong-password" },
    { what: "an unknown user", username: "mallory", password: SECRET },
  ])("fails fast with AuthFailed for $what", async ({ username, password }) => {
    const c = createIpmiClient({ host: sim.host, port: sim.port }, { credentials: { username, password }, retry: FAST });
    cleanups.push(() => c.close());
    const f = await failure(c.power.getPower());
    expect(f.code).toBe(BmcErrorCode.AuthFailed);
    expect(f.ms).toBeLessThan(1_000);
    expect(f.message).not.toContain(password);
  });

  it("reports Unreachable at once when nothing listens on the port", async () => {
    const f = await failure(client(await freeUdpPort()).power.getPower());
    expect(f).toMatchObject({ code: BmcErrorCode.Unreachable });
    expect(f.ms).toBeLessThan(1_000);
  });

  it("reports Unreachable after bounded retransmissions when the port swallows datagrams", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    let received = 0;
    silent.on("message", () => received++);
    cleanups.push(() => void silent.close());
    const c = client(silent.address().port);
    const f = await failure(c.power.getPower());
    expect(f.code).toBe(BmcErrorCode.Unreachable);
    // 100 + 200 + 400 ms of waiting for three sends.
    expect(f.ms).toBeGreaterThanOrEqual(650);
    expect(f.ms).toBeLessThan(2_000);
    expect(received).toBe(3);
    expect(c.stats).toMatchObject({ sent: 3, retransmits: 2 });
  });

  it("reports Timeout when the operation's deadline comes before the retries end", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    cleanups.push(() => void silent.close());
    const f = await failure(client(silent.address().port, { timeoutMs: 300, retry: { attempts: 10, initialTimeoutMs: 1_000 } }).power.getPower());
    expect(f.code).toBe(BmcErrorCode.Timeout);
    expect(f.ms).toBeLessThan(800);
  });

  it("reports ProtocolError, and counts what it dropped, when the BMC answers garbage", async () => {
    const liar = dgram.createSocket("udp4");
    await new Promise<void>((r) => liar.bind(0, "127.0.0.1", r));
    liar.on("message", (_m, rinfo) => liar.send(randomBytes(40), rinfo.port, rinfo.address));
    cleanups.push(() => void liar.close());
    const c = client(liar.address().port);
    const f = await failure(c.power.getPower());
    expect(f.code).toBe(BmcErrorCode.ProtocolError);
    expect(f.ms).toBeLessThan(2_000);
    expect(c.stats.dropped).toBe(3);
  });

  it.each([1, 2, 3, 4, 5])("recovers by retransmission when handshake reply %i is lost", async (n) => {
    const { proxy, c } = await proxied();
    proxy.onReply = (i) => (i === n ? "drop" : "forward");
    expect(await c.power.getPower()).toMatch(/on|off/);
    expect(proxy.counts.dropped).toBe(1);
    expect(c.stats.retransmits).toBeGreaterThanOrEqual(1);
    expect(c.stats.sessionsOpened).toBe(1);
  });

  it.each<{ what: string; way: "request" | "reply"; verdict: (pkt: Buffer) => Verdict; dropped: number }>([
    { what: "a lost request", way: "request", verdict: () => "drop", dropped: 0 },
    { what: "a lost reply", way: "reply", verdict: () => "drop", dropped: 0 },
    { what: "a truncated reply", way: "reply", verdict: (p) => ({ replace: p.subarray(0, p.length - 5) }), dropped: 1 },
    { what: "a reply with a flipped bit", way: "reply", verdict: (p) => ({ replace: flip(p, 24) }), dropped: 1 },
    { what: "garbage ahead of the reply", way: "reply", verdict: () => ({ before: randomBytes(30) }), dropped: 1 },
  ])("reads power in its open session despite $what", async ({ way, verdict, dropped }) => {
    const { proxy, c } = await proxied();
    expect(await c.power.getPower()).toMatch(/on|off/);
    const after = way === "request" ? proxy.counts.requests : proxy.counts.replies;
    let done = false;
    const hook = (i: number, pkt: Buffer): Verdict => {
      if (done || i !== after + 1) return "forward";
      done = true;
      return verdict(pkt);
    };
    if (way === "request") proxy.onRequest = hook;
    else proxy.onReply = hook;
    const before = c.stats;
    expect(await c.power.getPower()).toMatch(/on|off/);
    expect(c.stats.dropped - before.dropped).toBe(dropped);
    expect(c.stats.sessionsOpened).toBe(1);
  });
});

function flip(p: Buffer, i: number): Buffer {
  const b = Buffer.from(p);
  b[i] = b[i]! ^ 0x01;
  return b;
}
