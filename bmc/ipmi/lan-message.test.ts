import { describe, expect, it } from "vitest";
import { IpmiDecodeError } from "./decode-error.js";
import { checksum, decodeLanResponse, encodeLanRequest } from "./lan-message.js";

describe("IPMI LAN message (§13.8)", () => {
  it.each([
    { bytes: [0x20, 0x18], sum: 0xc8 },
    { bytes: [0x81, 0x04, 0x01], sum: 0x7a },
    { bytes: [], sum: 0x00 },
    { bytes: [0xff, 0x01], sum: 0x00 },
  ])("checksums $bytes to $sum so that everything sums to zero", ({ bytes, sum }) => {
    expect(checksum(Uint8Array.from(bytes))).toBe(sum);
    expect((bytes.reduce((a, b) => a + b, 0) + sum) & 0xff).toBe(0);
  });

  it("encodes Get Device ID with rqSeq 1 byte for byte", () => {
    expect([...encodeLanRequest({ netFn: 0x06, cmd: 0x01, rqSeq: 1 })]).toEqual([0x20, 0x18, 0xc8, 0x81, 0x04, 0x01, 0x7a]);
  });

  it("decodes a Get Chassis Status response with its completion code and data", () => {
    const head = [0x81, 0x04];
    const body = [0x20, 0x05 << 2, 0x01, 0x00, 0x01, 0x00, 0x00];
    const wire = Buffer.from([...head, checksum(Uint8Array.from(head)), ...body, checksum(Uint8Array.from(body))]);
    expect(decodeLanResponse(wire)).toEqual({ netFn: 0x01, rqSeq: 5, cmd: 0x01, completionCode: 0, data: Buffer.from([1, 0, 0]) });
  });

  it.each([
    { what: "a header checksum", index: 2 },
    { what: "a data checksum", index: 9 },
    { what: "a data byte", index: 7 },
  ])("drops a response with a corrupted $what", ({ index }) => {
    const head = [0x81, 0x04];
    const body = [0x20, 0x04, 0x01, 0x00, 0x01, 0x00, 0x00];
    const wire = Buffer.from([...head, checksum(Uint8Array.from(head)), ...body, checksum(Uint8Array.from(body))]);
    wire[index] = wire[index]! ^ 0x10;
    expect(() => decodeLanResponse(wire)).toThrow(IpmiDecodeError);
  });

  it("drops a truncated response", () => {
    expect(() => decodeLanResponse(Buffer.from([0x81, 0x04, 0x7b]))).toThrow(IpmiDecodeError);
  });
});
