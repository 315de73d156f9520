import { describe, expect, it } from "vitest";
import { getCondition, isTrue, sameConditions, setCondition, type Condition } from "./conditions.js";

const t0 = new Date("2026-01-01T00:00:00.000Z");
const t1 = new Date("2026-01-01T00:05:00.000Z");

describe("setCondition", () => {
  it("adds a new condition with the transition time truncated to seconds", () => {
    const list = setCondition([], { type: "Ready", status: "False", reason: "WaitingForHost", message: "no host" }, t0);
    expect(list).toEqual([
      { type: "Ready", status: "False", reason: "WaitingForHost", message: "no host", lastTransitionTime: "2026-01-01T00:00:00Z" },
    ]);
  });

  it("keeps the transition time when only the reason or message changes", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "A", message: "a" }, t0);
    const b = setCondition(a, { type: "Ready", status: "False", reason: "B", message: "b" }, t1);
    expect(b[0]).toMatchObject({ reason: "B", message: "b", lastTransitionTime: "2026-01-01T00:00:00Z" });
  });

  it("moves the transition time when the status changes", () => {
    const a = setCondition([], { type: "Ready", status: "False", reason: "A", message: "" }, t0);
    const b = setCondition(a, { type: "Ready", status: "True", reason: "Provisioned", message: "" }, t1);
    expect(b[0]?.lastTransitionTime).toBe("2026-01-01T00:05:00Z");
  });

  it("keeps the list sorted by type and does not mutate its input", () => {
    const a = setCondition([], { type: "Ready", status: "True", reason: "R", message: "" }, t0);
    const b = setCondition(a, { type: "Paused", status: "False", reason: "NotPaused", message: "" }, t0);
    expect(b.map((c) => c.type)).toEqual(["Paused", "Ready"]);
    expect(a).toHaveLength(1);
  });
});

describe("condition queries", () => {
  const list: Condition[] = [{ type: "Ready", status: "True", reason: "R", message: "", lastTransitionTime: "x" }];
  it.each([
    ["Ready", true],
    ["Paused", false],
  ])("says whether %s is True (%s)", (type, expected) => {
    expect(isTrue(list, type)).toBe(expected);
  });
  it("finds a condition by type", () => {
    expect(getCondition(list, "Ready")?.reason).toBe("R");
  });
  it("treats lists differing only in transition time and order as the same", () => {
    const other: Condition[] = [{ ...list[0]!, lastTransitionTime: "y" }];
    expect(sameConditions(list, other)).toBe(true);
    expect(sameConditions(list, [{ ...list[0]!, message: "changed" }])).toBe(false);
  });
});
