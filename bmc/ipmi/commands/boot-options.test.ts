import { describe, expect, it } from "vitest";
import { IpmiDecodeError } from "../decode-error.js";
import { BootDeviceSelector, decodeBootFlags, encodeBootFlags, getSystemBootOption } from "./boot-options.js";

describe("boot flags, System Boot Options parameter 5 (§28.13)", () => {
  it.each([
    { device: BootDeviceSelector.Pxe, persistent: false, efi: false, hex: "8004000000" },
    { device: BootDeviceSelector.Pxe, persistent: true, efi: true, hex: "e004000000" },
    { device: BootDeviceSelector.Disk, persistent: false, efi: true, hex: "a008000000" },
    { device: BootDeviceSelector.CdDvd, persistent: true, efi: false, hex: "c014000000" },
    { device: BootDeviceSelector.BiosSetup, persistent: false, efi: false, hex: "8018000000" },
  ])("encodes selector $device persistent=$persistent efi=$efi as $hex", ({ device, persistent, efi, hex }) => {
    expect(encodeBootFlags({ device, persistent, efi }).toString("hex")).toBe(hex);
    expect(decodeBootFlags(Buffer.from(hex, "hex"))).toMatchObject({ valid: true, device, persistent, efi });
  });

  it("keeps unrelated bits of the flags it rewrites", () => {
    const base = Buffer.from("1f83ff0102", "hex");
    expect(encodeBootFlags({ device: BootDeviceSelector.Pxe, persistent: false, efi: false, base }).toString("hex")).toBe("9f87ff0102");
  });

  it("reads the flags of a BMC that keeps only the device as not valid", () => {
    expect(decodeBootFlags(Buffer.from("0004000000", "hex"))).toMatchObject({ valid: false, device: 1 });
  });

  it("reads a Get System Boot Options answer and rejects one for another parameter", () => {
    const get = getSystemBootOption(5);
    expect([...get.data]).toEqual([5, 0, 0]);
    expect(get.decode(Buffer.from("01058004000000", "hex"))).toEqual({ invalidOrLocked: false, data: Buffer.from("8004000000", "hex") });
    expect(get.decode(Buffer.from("01850000000000", "hex")).invalidOrLocked).toBe(true);
    expect(() => get.decode(Buffer.from("01048004000000", "hex"))).toThrow(IpmiDecodeError);
  });
});
