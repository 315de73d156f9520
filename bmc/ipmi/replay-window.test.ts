import { describe, expect, it } from "vitest";
import { ReplayWindow } from "./replay-window.js";

describe("inbound session sequence numbers (§6.12.13)", () => {
  it.each([
    { seen: [1, 2, 3], next: 4, ok: true, why: "the next number" },
    { seen: [1, 2, 3], next: 3, ok: false, why: "a duplicate" },
    { seen: [1, 5], next: 3, ok: true, why: "a late packet inside the window" },
    { seen: [1, 5, 3], next: 3, ok: false, why: "a replayed late packet" },
    { seen: [1, 40], next: 20, ok: false, why: "a packet more than 16 behind" },
    { seen: [], next: 0, ok: false, why: "sequence number zero" },
    { seen: [2], next: 1000, ok: true, why: "a jump ahead" },
  ])("accepts=$ok $why", ({ seen, next, ok }) => {
    const w = new ReplayWindow();
    for (const s of seen) expect(w.accept(s)).toBe(true);
    expect(w.accept(next)).toBe(ok);
  });
});
