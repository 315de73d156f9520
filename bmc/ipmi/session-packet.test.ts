import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptPayload } from "./aes-cbc.js";
import { CIPHER_SUITE_17, CIPHER_SUITE_3 } from "./cipher-suite.js";
import { IpmiDecodeError } from "./decode-error.js";
import { deriveSessionKeys } from "./keys.js";
import { decodePacket, encodeV15Packet, encodeV20Packet, PayloadType } from "./session-packet.js";

const sik = Buffer.from("0102030405060708090a0b0c0d0e0f1011121314", "hex");

describe("IPMI v1.5 session wrapper (§13.6)", () => {
  it("wraps a sessionless message with auth type none, sequence 0, session 0 and its length", () => {
    expect([...encodeV15Packet(Buffer.from([0xaa, 0xbb]))]).toEqual([
      0x06, 0x00, 0xff, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0xaa, 0xbb,
    ]);
  });

  it("reads a v1.5 answer", () => {
    const pkt = decodePacket(encodeV15Packet(Buffer.from([1, 2, 3])));
    expect(pkt).toMatchObject({ format: "v1.5", payloadType: PayloadType.Ipmi, payload: Buffer.from([1, 2, 3]) });
  });
});

describe.each([CIPHER_SUITE_3, CIPHER_SUITE_17])("RMCP+ packets with cipher suite $id", (suite) => {
  const keys = deriveSessionKeys(suite, sik);

  it.each([0, 1, 2, 3, 7, 20])("authenticates and encrypts a %i-byte payload, trailer aligned to 4 bytes", (length) => {
    const payload = Buffer.alloc(length, 0x42);
    const wire = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 0x11223344, sequence: 5, payload, keys });
    expect(wire[5]).toBe(0xc0);
    const covered = wire.subarray(4, wire.length - suite.integrityLength);
    expect(covered.length % 4).toBe(0);
    expect(covered[covered.length - 1]).toBe(0x07);
    expect(wire.subarray(wire.length - suite.integrityLength)).toEqual(
      createHmac(suite.hash, keys.k1).update(covered).digest().subarray(0, suite.integrityLength),
    );
    const bodyLength = wire.readUInt16LE(14);
    expect(decryptPayload(keys.aesKey, wire.subarray(16, 16 + bodyLength))).toEqual(payload);
    expect(decodePacket(wire, keys)).toEqual({
      format: "v2.0",
      payloadType: PayloadType.Ipmi,
      sessionId: 0x11223344,
      sequence: 5,
      authenticated: true,
      payload,
    });
  });

  it.each([
    { what: "a flipped payload bit", at: 20 },
    { what: "a flipped sequence bit", at: 10 },
    { what: "a flipped AuthCode bit", at: -1 },
  ])("drops a packet with $what", ({ at }) => {
    const wire = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: 1, payload: Buffer.from("x"), keys });
    const i = at < 0 ? wire.length + at : at;
    wire[i] = wire[i]! ^ 0x01;
    expect(() => decodePacket(wire, keys)).toThrow(IpmiDecodeError);
  });

  it("drops a packet authenticated with another session's keys", () => {
    const other = deriveSessionKeys(suite, Buffer.alloc(20, 9));
    const wire = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: 1, payload: Buffer.from("x"), keys: other });
    expect(() => decodePacket(wire, keys)).toThrow(IpmiDecodeError);
  });

  it("drops an unauthenticated IPMI payload inside the session", () => {
    const wire = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: 1, payload: Buffer.from("x") });
    expect(() => decodePacket(wire, keys)).toThrow(IpmiDecodeError);
  });

  it("drops a packet cut short inside its trailer", () => {
    const wire = encodeV20Packet({ payloadType: PayloadType.Ipmi, sessionId: 1, sequence: 1, payload: Buffer.from("x"), keys });
    expect(() => decodePacket(wire.subarray(0, wire.length - 3), keys)).toThrow(IpmiDecodeError);
  });
});

describe("pre-session RMCP+ packets", () => {
  it("sends session setup payloads in the clear with session ID and sequence 0", () => {
    const wire = encodeV20Packet({ payloadType: PayloadType.OpenSessionRequest, sessionId: 0, sequence: 0, payload: Buffer.from([1, 2]) });
    expect([...wire]).toEqual([0x06, 0x00, 0xff, 0x07, 0x06, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 1, 2]);
  });
});
