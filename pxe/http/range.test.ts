import { describe, expect, it } from "vitest";
import { decideRange } from "./range.js";

describe("decideRange", () => {
  it.each([
    ["no header: the whole file", undefined, 1000, { kind: "full" }],
    ["first-last", "bytes=0-99", 1000, { kind: "partial", start: 0, end: 99 }],
    ["first- to the end", "bytes=900-", 1000, { kind: "partial", start: 900, end: 999 }],
    ["a suffix of the last 10 bytes", "bytes=-10", 1000, { kind: "partial", start: 990, end: 999 }],
    ["a suffix longer than the file: the whole file as 206", "bytes=-5000", 1000, { kind: "partial", start: 0, end: 999 }],
    ["a last-pos past the end is clamped", "bytes=990-5000", 1000, { kind: "partial", start: 990, end: 999 }],
    ["a first-pos at the end: 416", "bytes=1000-", 1000, { kind: "unsatisfiable" }],
    ["a zero-length suffix: 416", "bytes=-0", 1000, { kind: "unsatisfiable" }],
    ["several ranges are ignored (RFC 9110 §14.2)", "bytes=0-1,5-6", 1000, { kind: "full" }],
    ["last before first is invalid and ignored", "bytes=10-5", 1000, { kind: "full" }],
    ["another unit is ignored", "items=0-1", 1000, { kind: "full" }],
    ["garbage is ignored", "bytes=abc", 1000, { kind: "full" }],
  ])("answers %s", (_name, header, size, want) => {
    expect(decideRange(header, size)).toEqual(want);
  });
});
