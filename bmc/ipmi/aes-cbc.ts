/**
 * AES-CBC-128 payload confidentiality (IPMI v2.0 §13.29): the payload field
 * is a fresh 16-byte IV followed by the ciphertext of
 * data | pad 1, 2, 3 … N | N, padded to a multiple of 16 (§13.29.1 Table 13-20).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { IpmiDecodeError } from "./decode-error.js";

const BLOCK = 16;

export function encryptPayload(key: Uint8Array, data: Uint8Array, iv: Uint8Array = randomBytes(BLOCK)): Buffer {
  const padLength = (BLOCK - ((data.length + 1) % BLOCK)) % BLOCK;
  const trailer = Buffer.alloc(padLength + 1);
  for (let i = 0; i < padLength; i++) trailer[i] = i + 1;
  trailer[padLength] = padLength;
  const cipher = createCipheriv("aes-128-cbc", key, iv).setAutoPadding(false);
  return Buffer.concat([Buffer.from(iv), cipher.update(Buffer.concat([data, trailer])), cipher.final()]);
}

export function decryptPayload(key: Uint8Array, payload: Uint8Array): Buffer {
  if (payload.length < 2 * BLOCK || payload.length % BLOCK !== 0) {
    throw new IpmiDecodeError(`AES-CBC-128 payload of ${payload.length} bytes`);
  }
  const decipher = createDecipheriv("aes-128-cbc", key, payload.subarray(0, BLOCK)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(payload.subarray(BLOCK)), decipher.final()]);
  const padLength = plain[plain.length - 1] ?? 0;
  if (padLength >= BLOCK) throw new IpmiDecodeError(`confidentiality pad length ${padLength}`);
  const dataLength = plain.length - padLength - 1;
  // §13.29.1: the pad bytes count up from 1; anything else means a wrong key or a forged packet.
  for (let i = 0; i < padLength; i++) {
    if (plain[dataLength + i] !== i + 1) throw new IpmiDecodeError("confidentiality pad bytes do not count up from 1");
  }
  return plain.subarray(0, dataLength);
}
