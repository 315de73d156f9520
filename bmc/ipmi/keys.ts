/**
 * RMCP+ key material: the Session Integrity Key and the keys derived from it
 * (IPMI v2.0 §13.31 "RMCP+ Authenticated Key-Exchange Protocol", §13.32
 * "Generating Additional Keying Material").
 */
import { createHmac } from "node:crypto";
import type { CipherSuite } from "./cipher-suite.js";

export function hmac(hash: CipherSuite["hash"], key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * The user key Kuid: the password as stored by the BMC, a 20-byte field padded
 * with zeros (§13.31, §22.29 "Set User Password"). HMAC zero-pads keys shorter
 * than its block anyway, so the raw bytes give the same result.
 */
export function userKey(password: string): Buffer {
  return Buffer.from(password, "utf8");
}

export interface SikInputs {
  /** Remote console random number Rm (16 bytes). */
  readonly consoleRandom: Uint8Array;
  /** Managed system random number Rc (16 bytes). */
  readonly bmcRandom: Uint8Array;
  /** RAKP 1 role byte (privilege plus the name-only lookup bit). */
  readonly role: number;
  readonly username: Uint8Array;
}

/**
 * SIK = HMAC_KG(Rm | Rc | RoleM | ULengthM | <UNameM>) (§13.31). Without a
 * BMC key, KG is Kuid (§13.31: "if KG is not configured, Kuid is used").
 */
export function sessionIntegrityKey(suite: CipherSuite, kg: Uint8Array, i: SikInputs): Buffer {
  return hmac(
    suite.hash,
    kg,
    i.consoleRandom,
    i.bmcRandom,
    Uint8Array.of(i.role, i.username.length),
    i.username,
  );
}

/**
 * Kn = HMAC_SIK(const_n), const_n = 20 bytes of value n (§13.32). The
 * constants stay 20 bytes for the SHA-256 suites too, as ipmitool, pyghmi and
 * OpenBMC implement it.
 */
export function additionalKey(suite: CipherSuite, sik: Uint8Array, n: 1 | 2 | 3): Buffer {
  return hmac(suite.hash, sik, Buffer.alloc(20, n));
}

export interface SessionKeys {
  readonly suite: CipherSuite;
  readonly sik: Buffer;
  /** Integrity key K1 (§13.28.4). */
  readonly k1: Buffer;
  /** AES-CBC-128 key: the first 128 bits of K2 (§13.29). */
  readonly aesKey: Buffer;
}

export function deriveSessionKeys(suite: CipherSuite, sik: Buffer): SessionKeys {
  const k2 = additionalKey(suite, sik, 2);
  return { suite, sik, k1: additionalKey(suite, sik, 1), aesKey: k2.subarray(0, 16) };
}
