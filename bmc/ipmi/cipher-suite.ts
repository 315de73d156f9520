/**
 * The two RMCP+ cipher suites Anvil speaks (IPMI v2.0 §22.15.2 Table 22-20):
 * suite 3 = RAKP-HMAC-SHA1 / HMAC-SHA1-96 / AES-CBC-128,
 * suite 17 = RAKP-HMAC-SHA256 / HMAC-SHA256-128 / AES-CBC-128.
 */
export interface CipherSuite {
  readonly id: 3 | 17;
  /** Authentication algorithm number, §13.28 Table 13-17. */
  readonly authAlgorithm: number;
  /** Integrity algorithm number, §13.28.4 Table 13-18. */
  readonly integrityAlgorithm: number;
  /** Confidentiality algorithm number, §13.28.5 Table 13-19 (1 = AES-CBC-128). */
  readonly confidentialityAlgorithm: number;
  readonly hash: "sha1" | "sha256";
  /** Length of the RAKP 2/3 key exchange auth codes: the full HMAC (§13.21, §13.22). */
  readonly rakpAuthCodeLength: number;
  /** RAKP 4 integrity check value: the HMAC truncated (§13.23, §13.28.1). */
  readonly rakp4IcvLength: number;
  /** Session trailer AuthCode length: HMAC-SHA1-96 = 12, HMAC-SHA256-128 = 16 (§13.28.4). */
  readonly integrityLength: number;
}

export const CIPHER_SUITE_3: CipherSuite = {
  id: 3,
  authAlgorithm: 0x01,
  integrityAlgorithm: 0x01,
  confidentialityAlgorithm: 0x01,
  hash: "sha1",
  rakpAuthCodeLength: 20,
  rakp4IcvLength: 12,
  integrityLength: 12,
};

export const CIPHER_SUITE_17: CipherSuite = {
  id: 17,
  authAlgorithm: 0x03,
  integrityAlgorithm: 0x04,
  confidentialityAlgorithm: 0x01,
  hash: "sha256",
  rakpAuthCodeLength: 32,
  rakp4IcvLength: 16,
  integrityLength: 16,
};

export function cipherSuite(id: 3 | 17): CipherSuite {
  return id === 17 ? CIPHER_SUITE_17 : CIPHER_SUITE_3;
}
