import { describe, expect, it } from "vitest";
import { BmcErrorCode } from "../errors.js";
import { extendedInfoMessage, httpStatusError, transportError } from "./error-map.js";
import { bootStateOf } from "./boot.js";
import { pickResetType, powerStateOf } from "./power.js";

describe("extendedInfoMessage", () => {
  it.each<[string, unknown, string | undefined]>([
    [
      "joins ExtendedInfo messages with their ids",
      { error: { code: "Base.1.8.GeneralError", message: "generic", "@Message.ExtendedInfo": [{ MessageId: "A.1", Message: "first" }, { Message: "second" }] } },
      "A.1: first; second",
    ],
    ["falls back to error.message when ExtendedInfo has no Message", { error: { message: "Not implemented", "@Message.ExtendedInfo": [{ MessageId: "Base.1.0.GeneralError" }] } }, "Not implemented"],
    ["falls back to the MessageIds", { error: { "@Message.ExtendedInfo": [{ MessageId: "Base.1.0.GeneralError" }] } }, "Base.1.0.GeneralError"],
    ["falls back to error.code", { error: { code: "Base.1.8.InternalError" } }, "Base.1.8.InternalError"],
    ["finds nothing in a body without error", { PowerState: "On" }, undefined],
    ["finds nothing in a string", "<html>", undefined],
  ])("%s", (_name, body, expected) => {
    expect(extendedInfoMessage(body)).toBe(expected);
  });
});

describe("httpStatusError", () => {
  it.each<[number, string, boolean]>([
    [401, BmcErrorCode.AuthFailed, false],
    [403, BmcErrorCode.AuthFailed, false],
    [400, BmcErrorCode.BmcError, false],
    [404, BmcErrorCode.BmcError, false],
    [405, BmcErrorCode.NotSupported, false],
    [501, BmcErrorCode.NotSupported, false],
    [429, BmcErrorCode.BmcError, true],
    [500, BmcErrorCode.BmcError, true],
    [503, BmcErrorCode.BmcError, true],
  ])("maps HTTP %i to %s (transient %s)", (status, code, transient) => {
    const err = httpStatusError("redfish://bmc", "GET", "/redfish/v1/Systems/1", status, undefined);
    expect(err.code).toBe(code);
    expect(err.transient).toBe(transient);
  });
});

describe("transportError", () => {
  it.each<[string, string]>([
    ["ECONNREFUSED", BmcErrorCode.Unreachable],
    ["EHOSTUNREACH", BmcErrorCode.Unreachable],
    ["ENOTFOUND", BmcErrorCode.Unreachable],
    ["ETIMEDOUT", BmcErrorCode.Timeout],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", BmcErrorCode.TlsUntrusted],
    ["SELF_SIGNED_CERT_IN_CHAIN", BmcErrorCode.TlsUntrusted],
    ["ERR_TLS_CERT_ALTNAME_INVALID", BmcErrorCode.TlsUntrusted],
    ["ERR_SSL_WRONG_VERSION_NUMBER", BmcErrorCode.ProtocolError],
  ])("maps socket error %s to %s", (code, expected) => {
    expect(transportError("redfish://bmc", "GET", "/", { code }, false).code).toBe(expected);
  });

  it("reports an aborted request as a Timeout", () => {
    expect(transportError("redfish://bmc", "GET", "/", { code: "ERR_CANCELED" }, true).code).toBe(BmcErrorCode.Timeout);
  });
});

describe("Redfish state mapping", () => {
  it.each([
    ["On", "on"],
    ["PoweringOff", "on"],
    ["Off", "off"],
    ["PoweringOn", "off"],
    [undefined, "unknown"],
  ])("reads PowerState %s as %s", (state, expected) => {
    expect(powerStateOf({ PowerState: state })).toBe(expected);
  });

  it.each([
    [["On", "ForceOff", "GracefulRestart"], ["GracefulRestart", "ForceRestart"], "GracefulRestart"],
    [["On", "ForceOff", "ForceRestart"], ["GracefulRestart", "ForceRestart"], "ForceRestart"],
    [["On"], ["ForceOff"], undefined],
    [undefined, ["GracefulShutdown"], "GracefulShutdown"],
  ])("with ResetTypes %j picks from %j: %s", (allowed, preferred, expected) => {
    const system = allowed === undefined ? {} : { Actions: { "#ComputerSystem.Reset": { "ResetType@Redfish.AllowableValues": allowed } } };
    expect(pickResetType(system, preferred)).toBe(expected);
  });

  it.each([
    [{ BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once", BootSourceOverrideMode: "UEFI" }, { device: "pxe", once: true, mode: "UEFI" }],
    [{ BootSourceOverrideTarget: "Hdd", BootSourceOverrideEnabled: "Continuous", BootSourceOverrideMode: "Legacy" }, { device: "disk", once: false, mode: "legacy" }],
    [{ BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Disabled" }, { device: "none", once: false, mode: "unknown" }],
    [{ BootSourceOverrideTarget: "Usb", BootSourceOverrideEnabled: "Once" }, { device: "none", once: true, mode: "unknown" }],
  ])("reads Boot %j as %j", (boot, expected) => {
    expect(bootStateOf(boot)).toEqual(expected);
  });
});
