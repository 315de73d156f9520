import { describe, expect, it } from "vitest";
import { matchesSelector, selectorQuery } from "./label-selector.js";

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

describe("a hostSelector evaluated in memory agrees with the API server's rules", () => {
  const labels = { pool: "workers", rack: "r1" };
  it.each([
    ["no selector matches", undefined, true],
    ["matching matchLabels", { matchLabels: { pool: "workers" } }, true],
    ["a different value", { matchLabels: { pool: "cp" } }, false],
    ["a missing key", { matchLabels: { gpu: "yes" } }, false],
    ["In with the value", { matchExpressions: [{ key: "rack", operator: "In" as const, values: ["r1", "r2"] }] }, true],
    ["In without the key", { matchExpressions: [{ key: "zone", operator: "In" as const, values: ["a"] }] }, false],
    ["NotIn with the value", { matchExpressions: [{ key: "rack", operator: "NotIn" as const, values: ["r1"] }] }, false],
    ["NotIn without the key", { matchExpressions: [{ key: "zone", operator: "NotIn" as const, values: ["a"] }] }, true],
    ["Exists", { matchExpressions: [{ key: "rack", operator: "Exists" as const }] }, true],
    ["DoesNotExist of a present key", { matchExpressions: [{ key: "rack", operator: "DoesNotExist" as const }] }, false],
    ["DoesNotExist of a missing key", { matchExpressions: [{ key: "gpu", operator: "DoesNotExist" as const }] }, true],
  ])("%s → %s", (_what, sel, want) => {
    expect(matchesSelector(labels, sel)).toBe(want);
  });
});
