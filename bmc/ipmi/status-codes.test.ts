import { describe, expect, it } from "vitest";
import { BmcErrorCode } from "../errors.js";
import { completionCodeError, rmcpPlusStatusError } from "./status-codes.js";
import { parsePrivilegeLevel } from "./target.js";

describe("IPMI answers as typed errors", () => {
  it.each([
    { status: 0x0d, code: BmcErrorCode.AuthFailed, name: "unauthorized name" },
    { status: 0x0f, code: BmcErrorCode.AuthFailed, name: "invalid integrity check value" },
    { status: 0x11, code: BmcErrorCode.NotSupported, name: "no cipher suite match with proposed security algorithms" },
    { status: 0x01, code: BmcErrorCode.BmcError, name: "insufficient resources to create a session" },
  ])("maps RMCP+ status $status (§13.24) to $code named '$name'", ({ status, code, name }) => {
    const err = rmcpPlusStatusError("RAKP 1", status, "ipmi://h:623");
    expect(err).toMatchObject({ code, bmcMessage: name });
    expect(err.message).toContain(name);
  });

  it.each([
    { cmd: "Chassis Control", cc: 0xd4, code: BmcErrorCode.AuthFailed, name: "insufficient privilege level", transient: false },
    { cmd: "Chassis Control", cc: 0xc1, code: BmcErrorCode.NotSupported, name: "invalid command", transient: false },
    { cmd: "Chassis Control", cc: 0xc0, code: BmcErrorCode.BmcError, name: "node busy", transient: true },
    { cmd: "Set System Boot Options", cc: 0x80, code: BmcErrorCode.BmcError, name: "parameter not supported", transient: false },
    { cmd: "Get Chassis Status", cc: 0x80, code: BmcErrorCode.BmcError, name: "completion code 0x80", transient: false },
  ])("maps completion code $cc of $cmd (§5.2) to $code named '$name'", ({ cmd, cc, code, name, transient }) => {
    expect(completionCodeError(cmd, cc, "ipmi://h:623")).toMatchObject({ code, bmcMessage: name, transient });
  });
});

describe("privilege level from the address", () => {
  it.each([
    { given: undefined, level: 4 },
    { given: "ADMINISTRATOR", level: 4 },
    { given: "operator", level: 3 },
    { given: "User", level: 2 },
    { given: "CALLBACK", level: 1 },
  ])("reads $given as level $level", ({ given, level }) => {
    expect(parsePrivilegeLevel(given)).toBe(level);
  });

  it("rejects an unknown level as an invalid address", () => {
    expect(() => parsePrivilegeLevel("root")).toThrow(expect.objectContaining({ code: BmcErrorCode.InvalidAddress }));
  });
});
