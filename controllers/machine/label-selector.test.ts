import { describe, expect, it } from "vitest";
import { selectorQuery } from "./label-selector.js";

describe("a hostSelector becomes the API server's labelSelector query", () => {
  it.each([
    ["no selector selects everything", undefined, ""],
    ["an empty selector selects everything", {}, ""],
    ["matchLabels become equalities, sorted by key", { matchLabels: { rack: "r1", "anvil.io/class": "big" } }, "anvil.io/class=big,rack=r1"],
    ["In lists its values", { matchExpressions: [{ key: "rack", operator: "In" as const, values: ["r2", "r1"] }] }, "rack in (r1,r2)"],
    ["NotIn lists its values", { matchExpressions: [{ key: "rack", operator: "NotIn" as const, values: ["r3"] }] }, "rack notin (r3)"],
    ["Exists is the bare key", { matchExpressions: [{ key: "gpu", operator: "Exists" as const }] }, "gpu"],
    ["DoesNotExist is the negated key", { matchExpressions: [{ key: "gpu", operator: "DoesNotExist" as const }] }, "!gpu"],
    [
      "labels and expressions are ANDed",
      { matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" as const }, { key: "c", operator: "In" as const, values: ["x"] }] },
      "a=1,b,c in (x)",
    ],
  ])("%s", (_what, sel, want) => {
    expect(selectorQuery(sel)).toBe(want);
  });
});
