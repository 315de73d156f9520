import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CIPHER_SUITE_17, CIPHER_SUITE_3 } from "./cipher-suite.js";
import { deriveSessionKeys, sessionIntegrityKey } from "./keys.js";
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  type KeyExchangeInputs,
} from "./rakp.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");

/** A fixed exchange: console ID 0xa0a1a2a3, BMC ID 0x04030201, user "admin", role admin + name-only. */
const inputs: KeyExchangeInputs = {
  consoleSessionId: 0xa0a1a2a3,
  bmcSessionId: 0x04030201,
  consoleRandom: hex("00112233445566778899aabbccddeeff"),
  bmcRandom: hex("ffeeddccbbaa99887766554433221100"),
  bmcGuid: hex("a123456789abcdefa123456789abcdef"),
  role: 0x14,
  username: Buffer.from("admin"),
};
const kuid = Buffer.from("password");

/** Each formula of §13.31 written out with plain HMAC and the fields in wire order. */
const spec = {
  rakp2: (h: string) =>
    createHmac(h, kuid)
      .update(hex("a3a2a1a0 01020304 00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100 a123456789abcdefa123456789abcdef 14 05"))
      .update("admin")
      .digest(),
  rakp3: (h: string) => createHmac(h, kuid).update(hex("ffeeddccbbaa99887766554433221100 a3a2a1a0 14 05")).update("admin").digest(),
  sik: (h: string) =>
    createHmac(h, kuid).update(hex("00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100 14 05")).update("admin").digest(),
  rakp4: (h: string, sik: Buffer) =>
    createHmac(h, sik).update(hex("00112233445566778899aabbccddeeff 01020304 a123456789abcdefa123456789abcdef")).digest(),
};

describe.each([
  { suite: CIPHER_SUITE_3, hash: "sha1", codeLength: 20, icvLength: 12 },
  { suite: CIPHER_SUITE_17, hash: "sha256", codeLength: 32, icvLength: 16 },
])("RAKP key exchange with cipher suite $suite.id ($hash)", ({ suite, hash, codeLength, icvLength }) => {
  it("computes the RAKP 2 auth code as HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm)", () => {
    const code = rakp2AuthCode(suite, kuid, inputs);
    expect(code).toEqual(spec.rakp2(hash));
    expect(code.length).toBe(codeLength);
  });

  it("computes the RAKP 3 auth code as HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm)", () => {
    expect(rakp3AuthCode(suite, kuid, inputs)).toEqual(spec.rakp3(hash));
  });

  it("derives SIK = HMAC_Kg(Rm, Rc, ROLEm, ULENGTHm, UNAMEm) with Kg = Kuid, and K1/K2 from 20-byte constants", () => {
    const sik = sessionIntegrityKey(suite, kuid, { ...inputs });
    expect(sik).toEqual(spec.sik(hash));
    const keys = deriveSessionKeys(suite, sik);
    expect(keys.k1).toEqual(createHmac(hash, sik).update(Buffer.alloc(20, 1)).digest());
    expect(keys.aesKey).toEqual(createHmac(hash, sik).update(Buffer.alloc(20, 2)).digest().subarray(0, 16));
  });

  it(`truncates the RAKP 4 ICV = HMAC_SIK(Rm, SIDc, GUIDc) to ${icvLength} bytes`, () => {
    const sik = spec.sik(hash);
    expect(rakp4Icv(suite, sik, inputs)).toEqual(spec.rakp4(hash, sik).subarray(0, icvLength));
  });

  it("proposes exactly the suite's three algorithms in the Open Session Request", () => {
    const req = encodeOpenSessionRequest({ tag: 7, privilege: 4, consoleSessionId: 0xa0a1a2a3, suite });
    expect(req.toString("hex")).toBe(
      "07040000a3a2a1a0" +
        `00000008${suite.authAlgorithm.toString(16).padStart(2, "0")}000000` +
        `01000008${suite.integrityAlgorithm.toString(16).padStart(2, "0")}000000` +
        "0200000801000000",
    );
  });

  it("reads the BMC's RAKP 2 and RAKP 4 fields", () => {
    const code = spec.rakp2(hash);
    const rakp2 = Buffer.concat([hex("07000000 a3a2a1a0"), inputs.bmcRandom, inputs.bmcGuid, code]);
    expect(decodeRakp2(rakp2, suite)).toMatchObject({ tag: 7, status: 0, consoleSessionId: 0xa0a1a2a3, authCode: code });
    const icv = Buffer.alloc(icvLength, 0x5a);
    expect(decodeRakp4(Buffer.concat([hex("07000000 a3a2a1a0"), icv]), suite)).toEqual({
      tag: 7,
      status: 0,
      consoleSessionId: 0xa0a1a2a3,
      icv,
    });
  });
});

describe("RMCP+ session messages (§13.17–13.23)", () => {
  it("lays out RAKP 1 as tag, 3 reserved, BMC session ID, Rm, role, 2 reserved, name length, name", () => {
    expect(encodeRakp1({ tag: 9, bmcSessionId: 0x04030201, consoleRandom: inputs.consoleRandom, role: 0x14, username: Buffer.from("admin") }).toString("hex")).toBe(
      "09000000" + "01020304" + "00112233445566778899aabbccddeeff" + "14000005" + Buffer.from("admin").toString("hex"),
    );
  });

  it("lays out RAKP 3 as tag, status, 2 reserved, BMC session ID, auth code", () => {
    expect(encodeRakp3(9, 0, 0x04030201, hex("aabb")).toString("hex")).toBe("0900000001020304aabb");
  });

  it.each([
    { what: "a full success answer", hexs: "07000400a3a2a1a001020304" + "0000000801000000" + "0100000801000000" + "0200000801000000", status: 0, bmc: 0x04030201 },
    { what: "a two-byte refusal, as OpenIPMI sends", hexs: "0701", status: 1, bmc: 0 },
  ])("reads $what of an Open Session Response", ({ hexs, status, bmc }) => {
    expect(decodeOpenSessionResponse(hex(hexs))).toMatchObject({ tag: 7, status, bmcSessionId: bmc });
  });
});
