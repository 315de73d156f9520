import { describe, expect, it } from "vitest";
import { sameJson } from "./same-json.js";

describe("sameJson", () => {
  it.each([
    ["objects whose keys come in another order", { a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [1, 2], c: 2 }, a: 1 }, true],
    ["an undefined key and a missing one", { a: 1, b: undefined }, { a: 1 }, true],
    ["arrays in another order", [1, 2], [2, 1], false],
    ["a changed nested value", { a: { b: "x" } }, { a: { b: "y" } }, false],
    ["an empty string and a missing key", { a: "" }, {}, false],
  ])("says whether %s are the same document", (_name, a, b, same) => {
    expect(sameJson(a, b)).toBe(same);
  });
});
