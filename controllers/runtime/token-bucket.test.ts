import { describe, expect, it } from "vitest";
import { TokenBucket } from "./token-bucket.js";

function clocked(qps: number, burst: number): { bucket: TokenBucket; advance: (ms: number) => void } {
  let t = 0;
  return { bucket: new TokenBucket({ qps, burst, now: () => t }), advance: (ms) => void (t += ms) };
}

describe("TokenBucket", () => {
  it.each([
    { qps: 50, burst: 100, immediate: 100 },
    { qps: 5, burst: 10, immediate: 10 },
    { qps: 1, burst: 1, immediate: 1 },
  ])("allows a burst of $burst at once, then asks to wait ($qps/s)", ({ qps, burst, immediate }) => {
    const { bucket } = clocked(qps, burst);
    let taken = 0;
    while (bucket.tryTake() === 0) taken++;
    expect(taken).toBe(immediate);
    expect(bucket.tryTake()).toBe(Math.ceil(1000 / qps));
  });

  it.each([
    [100, 5],
    [1_000, 50],
    [10_000, 100],
  ])("refills %i ms of idle time into %i tokens at 50/s, capped at the burst", (ms, expected) => {
    const { bucket, advance } = clocked(50, 100);
    while (bucket.tryTake() === 0);
    advance(ms);
    let taken = 0;
    while (bucket.tryTake() === 0) taken++;
    expect(taken).toBe(expected);
  });

  it("serves waiting callers in order at the sustained rate", async () => {
    const bucket = new TokenBucket({ qps: 100, burst: 1 });
    const order: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it("rejects a waiter whose signal aborts, and keeps serving the others", async () => {
    const bucket = new TokenBucket({ qps: 10, burst: 1 });
    await bucket.take();
    const ac = new AbortController();
    const waiting = bucket.take(ac.signal);
    ac.abort(new Error("shutdown"));
    await expect(waiting).rejects.toThrow("shutdown");
    await expect(bucket.take()).resolves.toBeUndefined();
  });

  it.each([
    { qps: 0, burst: 1 },
    { qps: 1, burst: 0 },
    { qps: 1, burst: 1.5 },
  ])("refuses qps=$qps burst=$burst", (o) => {
    expect(() => new TokenBucket(o)).toThrow(RangeError);
  });
});
