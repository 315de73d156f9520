import { describe, expect, it } from "vitest";
import { applyMergePatch, mergePatchOf } from "./concurrent-write.js";

describe("merge patches of a reconcile's status changes (RFC 7386)", () => {
  it.each([
    ["no change", { a: 1 }, { a: 1 }, undefined],
    ["a changed scalar", { a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    ["a removed field as null", { a: 1, b: 2 }, { a: 1 }, { b: null }],
    ["a nested change only", { p: { state: "a", id: "x" } }, { p: { state: "b", id: "x" } }, { p: { state: "b" } }],
    ["a replaced array whole", { c: [1, 2] }, { c: [1, 2, 3] }, { c: [1, 2, 3] }],
  ])("describes %s", (_what, before, after, expected) => {
    expect(mergePatchOf(before, after)).toEqual(expected);
  });

  it.each([
    ["keeps fields the patch does not name", { a: 1, other: "theirs" }, { a: 2 }, { a: 2, other: "theirs" }],
    ["deletes on null", { a: 1, b: 2 }, { b: null }, { a: 1 }],
    ["merges nested objects", { p: { state: "a", id: "x" } }, { p: { state: "b" } }, { p: { state: "b", id: "x" } }],
    ["replaces a non-object target", "x", { a: 1 }, { a: 1 }],
  ])("%s when applied", (_what, target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it("replays our change onto someone else's newer status without undoing theirs", () => {
    const ours = { before: { poweredOn: false, errorMessage: "" }, after: { poweredOn: false, errorMessage: "bmc down" } };
    const theirs = { poweredOn: true, errorMessage: "" };
    expect(applyMergePatch(theirs, mergePatchOf(ours.before, ours.after))).toEqual({ poweredOn: true, errorMessage: "bmc down" });
  });
});
