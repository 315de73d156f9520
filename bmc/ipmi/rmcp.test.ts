import { describe, expect, it } from "vitest";
import { IpmiDecodeError } from "./decode-error.js";
import { decodeAsfPong, decodeRmcpHeader, encodeAsfPing, RmcpClass } from "./rmcp.js";

describe("RMCP and ASF presence (§13.1.3, §13.2)", () => {
  it("builds a presence ping: RMCP v1.0 no-ack ASF header, IANA 4542, type 0x80, the tag, length 0", () => {
    expect([...encodeAsfPing(0x2a)]).toEqual([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x2a, 0x00, 0x00]);
  });

  it.each([
    { entities: 0x81, ipmi: true },
    { entities: 0x01, ipmi: false },
  ])("reads supported entities 0x$entities of a pong as IPMI supported = $ipmi", ({ entities, ipmi }) => {
    const data = Buffer.alloc(16);
    data[8] = entities;
    const pong = Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x40, 0x2a, 0x00, 0x10]), data]);
    expect(decodeAsfPong(pong)).toEqual({ tag: 0x2a, ipmiSupported: ipmi });
  });

  it.each([
    { what: "a wrong RMCP version", bytes: [0x05, 0x00, 0xff, 0x07] },
    { what: "an unknown class", bytes: [0x06, 0x00, 0xff, 0x08] },
    { what: "a truncated header", bytes: [0x06, 0x00] },
  ])("rejects $what", ({ bytes }) => {
    expect(() => decodeRmcpHeader(Buffer.from(bytes))).toThrow(IpmiDecodeError);
  });

  it("ignores the ACK bit when reading the class", () => {
    expect(decodeRmcpHeader(Buffer.from([0x06, 0x00, 0xff, 0x87])).cls).toBe(RmcpClass.Ipmi);
  });
});
