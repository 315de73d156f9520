import { describe, expect, it } from "vitest";
import { negotiate, type NegotiationLimits } from "./options.js";

const limits: NegotiationLimits = { maxBlockSize: 1468, maxWindowSize: 16, defaultTimeoutMs: 1000 };

describe("negotiate", () => {
  it.each([
    ["no options: RFC 1350 defaults and no OACK", {}, 1000, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["iPXE's blksize 1432 tsize 0", { blksize: "1432", tsize: "0" }, 74213, { blockSize: 1432, windowSize: 1, timeoutMs: 1000 }, { blksize: "1432", tsize: "74213" }],
    ["EDK2's blksize 1468 windowsize 4 tsize 0", { blksize: "1468", windowsize: "4", tsize: "0" }, 10, { blockSize: 1468, windowSize: 4, timeoutMs: 1000 }, { blksize: "1468", windowsize: "4", tsize: "10" }],
    ["a blksize above the path MTU is clamped", { blksize: "65464" }, 1, { blockSize: 1468, windowSize: 1, timeoutMs: 1000 }, { blksize: "1468" }],
    ["a blksize below 8 is omitted", { blksize: "7" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["a blksize above 65464 is omitted", { blksize: "65465" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["a non-numeric blksize is omitted", { blksize: "big" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["timeout 3 is echoed, and we retransmit no later than our own 1 s", { timeout: "3" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, { timeout: "3" }],
    ["timeout 0 is omitted", { timeout: "0" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["timeout 256 is omitted", { timeout: "256" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["a windowsize above the limit is lowered", { windowsize: "64" }, 1, { blockSize: 512, windowSize: 16, timeoutMs: 1000 }, { windowsize: "16" }],
    ["windowsize 0 is omitted", { windowsize: "0" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
    ["unknown options are omitted", { multicast: "", rollover: "0" }, 1, { blockSize: 512, windowSize: 1, timeoutMs: 1000 }, {}],
  ])("%s", (_name, asked, size, params, oack) => {
    const n = negotiate(new Map(Object.entries(asked)), limits, size);
    expect(n.params).toEqual(params);
    expect(Object.fromEntries(n.oack)).toEqual(oack);
  });
});

describe("negotiate with a long own interval", () => {
  it("uses a shorter timeout the client asks for", () => {
    const n = negotiate(new Map([["timeout", "2"]]), { ...limits, defaultTimeoutMs: 5000 }, 1);
    expect(n.params.timeoutMs).toBe(2000);
  });
});
