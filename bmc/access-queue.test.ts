import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { BmcAccessQueue } from "./access-queue.js";
import { BmcErrorCode, isBmcError } from "./errors.js";
import { FixtureBmc } from "./fixture/fixture-bmc.js";
import { backoffDelay } from "./retry.js";

const fast = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

describe("backoffDelay", () => {
  it.each([
    [0, 0, 100],
    [0, 0.99, 199],
    [1, 0, 200],
    [2, 0.5, 600],
    [10, 0.5, 3750],
  ])("after failure %i with jitter %f waits %i ms", (retry, random, expected) => {
    expect(backoffDelay(retry, { baseDelayMs: 200, maxDelayMs: 5000, random: () => random })).toBe(expected);
  });
});

describe("BmcAccessQueue", () => {
  it("retries a transient BMC error and then succeeds", async () => {
    const bmc = new FixtureBmc({ power: "on" });
    bmc.failNext("getPower", BmcErrorCode.BmcError, { times: 2, transient: true });
    const client = new BmcAccessQueue({ retry: fast }).wrap(bmc);
    await expect(client.power.getPower()).resolves.toBe("on");
    expect(bmc.callsOf("getPower")).toBe(3);
  });

  it.each([BmcErrorCode.AuthFailed, BmcErrorCode.NotSupported, BmcErrorCode.ProtocolError, BmcErrorCode.VerifyFailed])(
    "does not retry %s",
    async (code) => {
      const bmc = new FixtureBmc();
      bmc.failNext("getPower", code, { times: 5, transient: false });
      const client = new BmcAccessQueue({ retry: fast }).wrap(bmc);
      const err = await client.power.getPower().catch((e: unknown) => e);
      expect(isBmcError(err, code)).toBe(true);
      expect(bmc.callsOf("getPower")).toBe(1);
    },
  );

  it("gives up after the configured attempts with the last error", async () => {
    const bmc = new FixtureBmc();
    bmc.failNext("getPower", BmcErrorCode.BmcError, { times: 10, transient: true, message: "Internal error 42" });
    const client = new BmcAccessQueue({ retry: fast }).wrap(bmc);
    const err = await client.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.BmcError)).toBe(true);
    expect((err as Error).message).toContain("Internal error 42");
    expect(bmc.callsOf("getPower")).toBe(4);
  });

  it("turns a slow BMC into a Timeout at the deadline", async () => {
    const bmc = new FixtureBmc({ latencyMs: 2_000 });
    const client = new BmcAccessQueue({ timeoutMs: 50, retry: fast }).wrap(bmc);
    const started = Date.now();
    const err = await client.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.Timeout)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("honours the caller's abort signal", async () => {
    const bmc = new FixtureBmc({ latencyMs: 2_000 });
    const client = new BmcAccessQueue({ timeoutMs: 10_000 }).wrap(bmc);
    const err = await client.power.getPower(AbortSignal.timeout(30)).catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.Timeout)).toBe(true);
  });

  it("leaves no listener on a long-lived caller signal once calls finish", async () => {
    const shutdown = new AbortController();
    const client = new BmcAccessQueue().wrap(new FixtureBmc());
    for (let i = 0; i < 50; i++) await client.power.getPower(shutdown.signal);
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
  });

  it("runs one operation at a time per BMC", async () => {
    const bmc = new FixtureBmc({ latencyMs: 15 });
    const client = new BmcAccessQueue({ globalConcurrency: 8 }).wrap(bmc);
    await Promise.all(Array.from({ length: 6 }, () => client.power.getPower()));
    expect(bmc.maxInFlight).toBe(1);
    expect(bmc.callsOf("getPower")).toBe(6);
  });

  it("runs different BMCs in parallel up to the global limit", async () => {
    const queue = new BmcAccessQueue({ globalConcurrency: 2 });
    const bmcs = Array.from({ length: 4 }, (_, i) => new FixtureBmc({ displayAddress: `fixture://bmc-${i}`, latencyMs: 40 }));
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, queue.load.running)), 5);
    try {
      await Promise.all(bmcs.map((b) => queue.wrap(b).power.getPower()));
    } finally {
      clearInterval(timer);
    }
    expect(peak).toBe(2);
    expect(bmcs.every((b) => b.maxInFlight === 1)).toBe(true);
  });

  it("times out an operation that waits behind a long one on the same BMC", async () => {
    const bmc = new FixtureBmc({ latencyMs: 300 });
    const client = new BmcAccessQueue({ timeoutMs: 100, powerTimeoutMs: 1_000 }).wrap(bmc);
    const slow = client.power.setPower("on");
    const err = await client.power.getPower().catch((e: unknown) => e);
    await slow;
    expect(isBmcError(err, BmcErrorCode.Timeout)).toBe(true);
    expect((err as Error).message).toMatch(/waiting for its turn/);
  });

  it("forgets a BMC's lane once its work is done", async () => {
    const queue = new BmcAccessQueue();
    await queue.wrap(new FixtureBmc()).power.getPower();
    expect(queue.load.bmcs).toBe(0);
  });

  it("keeps roles the driver lacks absent", () => {
    const client = new BmcAccessQueue().wrap(new FixtureBmc({ virtualMedia: false }));
    expect(client.virtualMedia).toBeUndefined();
    expect(client.inventory).toBeDefined();
  });
});
