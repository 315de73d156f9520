import { describe, expect, it } from "vitest";
import { ackedBlock, blockCount } from "./block-window.js";

describe("blockCount", () => {
  it.each([
    [0, 512, 1],
    [511, 512, 1],
    [512, 512, 2],
    [1025, 512, 3],
    [64 * 1024 * 1024, 512, 131073],
  ])("splits %i bytes into blocks of %i as %i blocks, ending with a short one", (size, bs, want) => {
    expect(blockCount(size, bs)).toBe(want);
  });
});

describe("ackedBlock", () => {
  it.each([
    ["the next block", 1, 0, 1, 1],
    ["the end of a window", 8, 4, 8, 8],
    ["the middle of a window", 6, 4, 8, 6],
    ["a duplicate of the last ACK", 4, 4, 8, 4],
    ["wire 0 after block 65535 (rollover)", 0, 65535, 65536, 65536],
    ["wire 2 in the second wrap", 2, 65534, 65538, 65538],
    ["an ACK from before the last one", 3, 4, 8, undefined],
    ["an ACK beyond what was sent", 9, 4, 8, undefined],
  ])("maps %s", (_name, wire, acked, sent, want) => {
    expect(ackedBlock(wire, acked, sent)).toBe(want);
  });
});
