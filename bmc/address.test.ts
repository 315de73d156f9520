import { describe, expect, it } from "vitest";
import { parseBmcAddress, redactAddress } from "./address.js";
import { BmcErrorCode, isBmcError } from "./errors.js";

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("parseBmcAddress", () => {
  it.each([
    ["ipmi://10.0.0.5", { host: "10.0.0.5", port: 623, privilegeLevel: "ADMINISTRATOR", scheme: "ipmi" }],
    ["ipmi://10.0.0.5:6230", { host: "10.0.0.5", port: 6230, privilegeLevel: "ADMINISTRATOR", scheme: "ipmi" }],
    ["ipmi://bmc.example?privilegelevel=OPERATOR", { host: "bmc.example", port: 623, privilegeLevel: "OPERATOR", scheme: "ipmi" }],
    ["ipmi://[fd00::5]:624", { host: "fd00::5", port: 624, privilegeLevel: "ADMINISTRATOR", scheme: "ipmi" }],
    ["10.0.0.5:6231", { host: "10.0.0.5", port: 6231, privilegeLevel: "ADMINISTRATOR", scheme: "ipmi" }],
    ["bmc-7.rack.example", { host: "bmc-7.rack.example", port: 623, privilegeLevel: "ADMINISTRATOR", scheme: "ipmi" }],
    ["libvirt://192.168.122.1:6233", { host: "192.168.122.1", port: 6233, privilegeLevel: "ADMINISTRATOR", scheme: "libvirt" }],
  ])("reads %s as an IPMI target", (address, expected) => {
    expect(parseBmcAddress(address)).toEqual({ protocol: "ipmi", ...expected });
  });

  it.each([
    ["redfish://10.0.0.5/redfish/v1/Systems/1", "generic", "ipxe", "https://10.0.0.5", "/redfish/v1/Systems/1"],
    ["redfish+http://127.0.0.1:8000/redfish/v1/Systems/abc", "generic", "ipxe", "http://127.0.0.1:8000", "/redfish/v1/Systems/abc"],
    ["redfish+https://bmc.example:8443/redfish/v1/", "generic", "ipxe", "https://bmc.example:8443", undefined],
    ["redfish://bmc.example", "generic", "ipxe", "https://bmc.example", undefined],
    ["redfish-virtualmedia://10.0.0.5/redfish/v1/Systems/1", "generic", "virtual-media", "https://10.0.0.5", "/redfish/v1/Systems/1"],
    ["redfish-uefihttp+http://10.0.0.5/redfish/v1/Systems/1", "generic", "uefi-http", "http://10.0.0.5", "/redfish/v1/Systems/1"],
    ["idrac-redfish://10.0.0.6/redfish/v1/Systems/System.Embedded.1", "idrac", "ipxe", "https://10.0.0.6", "/redfish/v1/Systems/System.Embedded.1"],
    ["idrac-virtualmedia+https://10.0.0.6/redfish/v1/Systems/System.Embedded.1", "idrac", "virtual-media", "https://10.0.0.6", "/redfish/v1/Systems/System.Embedded.1"],
    ["ilo5-redfish://10.0.0.7/redfish/v1/Systems/1/", "ilo5", "ipxe", "https://10.0.0.7", "/redfish/v1/Systems/1"],
    ["ilo5-virtualmedia://10.0.0.7/redfish/v1/Systems/1", "ilo5", "virtual-media", "https://10.0.0.7", "/redfish/v1/Systems/1"],
    ["REDFISH+HTTP://BMC.Example:80/redfish/v1/Systems/1", "generic", "ipxe", "http://bmc.example:80", "/redfish/v1/Systems/1"],
    ["redfish://[fd00::7]:8443/redfish/v1/Systems/1", "generic", "ipxe", "https://[fd00::7]:8443", "/redfish/v1/Systems/1"],
  ])("reads %s as a Redfish target", (address, vendor, bootMethod, baseUrl, systemPath) => {
    const target = parseBmcAddress(address);
    expect(target).toMatchObject({ protocol: "redfish", vendor, bootMethod, baseUrl, systemPath });
  });

  it.each([
    ["", BmcErrorCode.InvalidAddress],
    ["   ", BmcErrorCode.InvalidAddress],
    ["foo://10.0.0.5", BmcErrorCode.InvalidAddress],
    ["redfish+ftp://10.0.0.5", BmcErrorCode.InvalidAddress],
    ["redfish+http+https://10.0.0.5", BmcErrorCode.InvalidAddress],
    ["ipmi://10.0.0.5:70000", BmcErrorCode.InvalidAddress],
    ["ipmi://bad_host!:623", BmcErrorCode.InvalidAddress],
    ["ipmi://10.0.0.5?privilegelevel=ROOT", BmcErrorCode.InvalidAddress],
    ["redfish://", BmcErrorCode.InvalidAddress],
    ["idrac://10.0.0.6", BmcErrorCode.NotSupported],
    ["irmc://10.0.0.6", BmcErrorCode.NotSupported],
    ["ilo4://10.0.0.6", BmcErrorCode.NotSupported],
  ])("rejects %j with %s", (address, code) => {
    const err = errorOf(() => parseBmcAddress(address));
    expect(isBmcError(err, code)).toBe(true);
  });

  it("rejects credentials in the address without repeating them", () => {
    const err = errorOf(() => parseBmcAddress("redfish://admin:s3cr3t-pw@10.0.0.5/redfish/v1/Systems/1"));
    expect(isBmcError(err, BmcErrorCode.InvalidAddress)).toBe(true);
    expect(String((err as Error).message)).not.toContain("s3cr3t-pw");
    expect(String((err as Error).message)).toContain("10.0.0.5");
  });
});

describe("redactAddress", () => {
  it.each([
    ["redfish://u:pw@h/redfish/v1", "redfish://h/redfish/v1"],
    ["ipmi://h:623", "ipmi://h:623"],
    ["h:623", "h:623"],
  ])("turns %s into %s", (input, expected) => {
    expect(redactAddress(input)).toBe(expected);
  });
});
