import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptPayload, encryptPayload } from "./aes-cbc.js";
import { IpmiDecodeError } from "./decode-error.js";

const key = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex");
const iv = Buffer.from("f0e0d0c0b0a090807060504030201000", "hex");

/** The §13.29.1 trailer built by hand: pad bytes 1..N then N, to a multiple of 16. */
function manualPlaintext(data: Buffer): Buffer {
  const n = (16 - ((data.length + 1) % 16)) % 16;
  return Buffer.concat([data, Buffer.from(Array.from({ length: n }, (_, i) => i + 1)), Buffer.from([n])]);
}

describe("AES-CBC-128 confidentiality (§13.29)", () => {
  it.each([0, 1, 7, 14, 15, 16, 17, 31, 32, 100])("encrypts %i bytes as IV | AES-CBC(data | 1..N | N)", (length) => {
    const data = Buffer.from(Array.from({ length }, (_, i) => (i * 7) & 0xff));
    const out = encryptPayload(key, data, iv);
    const plain = manualPlaintext(data);
    const c = createCipheriv("aes-128-cbc", key, iv).setAutoPadding(false);
    expect(out).toEqual(Buffer.concat([iv, c.update(plain), c.final()]));
    expect(out.length % 16).toBe(0);
    expect(decryptPayload(key, out)).toEqual(data);
  });

  it("uses a fresh random IV per payload", () => {
    const a = encryptPayload(key, Buffer.from("same"));
    const b = encryptPayload(key, Buffer.from("same"));
    expect(a.subarray(0, 16)).not.toEqual(b.subarray(0, 16));
  });

  it.each([
    { what: "a payload shorter than IV plus one block", payload: Buffer.alloc(16) },
    { what: "a payload that is not whole blocks", payload: Buffer.alloc(40) },
  ])("rejects $what", ({ payload }) => {
    expect(() => decryptPayload(key, payload)).toThrow(IpmiDecodeError);
  });

  it("rejects a payload decrypted with the wrong key, seen in its padding", () => {
    const other = Buffer.from("ffeeddccbbaa99887766554433221100", "hex");
    let rejected = 0;
    for (let i = 0; i < 20; i++) {
      const out = encryptPayload(key, Buffer.from("chassis status"));
      try {
        decryptPayload(other, out);
      } catch (err) {
        expect(err).toBeInstanceOf(IpmiDecodeError);
        rejected++;
      }
    }
    // A random last byte passes the pad check with probability ~1/256 per try.
    expect(rejected).toBeGreaterThanOrEqual(18);
  });
});
