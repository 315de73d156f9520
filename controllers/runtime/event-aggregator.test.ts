import { describe, expect, it } from "vitest";
import { EventAggregator, type EventKey } from "./event-aggregator.js";

const ev = (note: string, uid = "uid-1"): EventKey => ({ objectUid: uid, type: "Warning", reason: "BMCUnreachable", note });

function clocked(opts: ConstructorParameters<typeof EventAggregator>[0] = {}): { agg: EventAggregator; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { agg: new EventAggregator({ ...opts, now: () => t }), advance: (ms) => void (t += ms) };
}

describe("EventAggregator", () => {
  it("turns a repeat of a created event into a series update with a growing count", () => {
    const { agg } = clocked();
    expect(agg.decide(ev("down"))).toEqual({ action: "create" });
    agg.created(ev("down"), "h.1");
    expect(agg.decide(ev("down"))).toMatchObject({ action: "update", name: "h.1", count: 2 });
    expect(agg.decide(ev("down"))).toMatchObject({ action: "update", name: "h.1", count: 3 });
  });

  it("starts a new event after the series window", () => {
    const { agg, advance } = clocked({ seriesWindowMs: 60_000 });
    agg.decide(ev("down"));
    agg.created(ev("down"), "h.1");
    advance(60_001);
    expect(agg.decide(ev("down"))).toEqual({ action: "create" });
  });

  it("drops distinct events past an object's burst, and lets one through per refill", () => {
    const { agg, advance } = clocked({ burst: 3, qps: 1 / 60 });
    const decisions = Array.from({ length: 10 }, (_, i) => agg.decide(ev(`failure ${i}`)).action);
    expect(decisions).toEqual(["create", "create", "create", "drop", "drop", "drop", "drop", "drop", "drop", "drop"]);
    advance(60_000);
    expect(agg.decide(ev("after refill")).action).toBe("create");
    expect(agg.decide(ev("again")).action).toBe("drop");
  });

  it("limits each object separately", () => {
    const { agg } = clocked({ burst: 1 });
    expect(agg.decide(ev("a", "uid-1")).action).toBe("create");
    expect(agg.decide(ev("b", "uid-1")).action).toBe("drop");
    expect(agg.decide(ev("a", "uid-2")).action).toBe("create");
  });

  it("sends at most burst + one per refill for a host failing in a loop for an hour", () => {
    const { agg, advance } = clocked();
    let sent = 0;
    for (let s = 0; s < 3_600; s += 2) {
      const d = agg.decide(ev(`attempt ${s} failed`));
      if (d.action !== "drop") sent++;
      advance(2_000);
    }
    // Defaults: burst 25, one token per 300 s → 25 + 12 at most.
    expect(sent).toBeLessThanOrEqual(37);
    expect(sent).toBeGreaterThanOrEqual(25);
  });
});
