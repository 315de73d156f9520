import { describe, expect, it } from "vitest";
import type { BootAction, BootRecord } from "../boot-backend.js";
import { chooseBoot, type BootChoice } from "./boot-policy.js";
import { applyBoot, baseReply } from "./reply.js";
import { classifyClient, parseUserClasses } from "./client-kind.js";
import { resolveConfig, type DhcpConfigInput } from "./config.js";
import { decodeDhcp } from "./decode.js";
import { encodeDhcp } from "./encode.js";
import { MessageType, Opt } from "./options.js";
import { buildRequest, type RequestSpec } from "./request-builder.js";

const MAC = "52:54:00:00:00:01";
const base: DhcpConfigInput = { mode: "reservation", serverAddress: "10.0.0.1", httpBaseUrl: "http://10.0.0.1:8080", subnets: [{ cidr: "10.0.0.0/24" }] };
const cfg = resolveConfig(base);
const record = (action: BootAction = { kind: "local-disk" }): BootRecord => ({ mac: MAC, hostName: "default/h", action });
const client = (spec: Omit<RequestSpec, "type" | "mac">) =>
  classifyClient(decodeDhcp(encodeDhcp(buildRequest({ type: MessageType.Discover, mac: MAC, ...spec }))));

const pxe = (arch: number) => ({ vendorClass: `PXEClient:Arch:${String(arch).padStart(5, "0")}:UNDI:002001`, arch });

describe("chooseBoot", () => {
  it.each<[string, Omit<RequestSpec, "type" | "mac">, BootChoice]>([
    ["a PXE BIOS client (arch 0) with undionly.kpxe", pxe(0), { kind: "tftp", file: "undionly.kpxe", userClass: "Anvil" }],
    ["a PXE IA32 UEFI client (arch 6) with ipxe.efi", pxe(6), { kind: "tftp", file: "ipxe.efi", userClass: "Anvil" }],
    ["a PXE x64 UEFI client (arch 7) with ipxe.efi", pxe(7), { kind: "tftp", file: "ipxe.efi", userClass: "Anvil" }],
    ["a PXE x64 UEFI client (arch 9) with ipxe.efi", pxe(9), { kind: "tftp", file: "ipxe.efi", userClass: "Anvil" }],
    ["a PXE arm64 UEFI client (arch 11) with the arm64 binary", pxe(11), { kind: "tftp", file: "ipxe-arm64.efi", userClass: "Anvil" }],
    ["a PXE client without option 93 with the BIOS binary", { vendorClass: "PXEClient" }, { kind: "tftp", file: "undionly.kpxe", userClass: "Anvil" }],
    ["a UEFI HTTP client (arch 16) with an HTTP URL", { vendorClass: "HTTPClient:Arch:00016:UNDI:003001", arch: 16 }, { kind: "http", url: "http://10.0.0.1:8080/ipxe.efi" }],
    ["an arm64 UEFI HTTP client (arch 19) with an HTTP URL", { vendorClass: "HTTPClient:Arch:00019", arch: 19 }, { kind: "http", url: "http://10.0.0.1:8080/ipxe-arm64.efi" }],
    ["iPXE (user class iPXE) with the script URL", { ...pxe(0), userClass: "iPXE" }, { kind: "script", url: "http://10.0.0.1:8080/boot.ipxe" }],
    ["iPXE (option 175 only) with the script URL", { ...pxe(7), ipxeFeatures: true }, { kind: "script", url: "http://10.0.0.1:8080/boot.ipxe" }],
    ["Anvil's iPXE (user class Anvil) with the script URL", { ...pxe(0), userClass: "Anvil" }, { kind: "script", url: "http://10.0.0.1:8080/boot.ipxe" }],
    ["a PXE client of an unsupported architecture (arch 10) with nothing", pxe(10), { kind: "none", reason: "unsupported-arch" }],
    ["a plain DHCP client with nothing", {}, { kind: "none", reason: "not-netboot" }],
  ])("answers %s", (_what, spec, choice) => {
    expect(chooseBoot(client(spec), record(), cfg)).toEqual(choice);
  });

  it.each<[string, Partial<DhcpConfigInput>, Omit<RequestSpec, "type" | "mac">, BootChoice]>([
    ["snponly.efi when configured for UEFI", { bootFiles: { uefiX64: "snponly.efi" } }, pxe(7), { kind: "tftp", file: "snponly.efi", userClass: "Anvil" }],
    ["a per-MAC script URL from the template", { scriptUrl: "http://10.0.0.1:8080/boot/{mac}.ipxe" }, { userClass: "iPXE" }, { kind: "script", url: `http://10.0.0.1:8080/boot/${MAC}.ipxe` }],
    ["a NIC-ROM iPXE the iPXE binary again when chainloading foreign iPXE", { chainloadForeignIpxe: true }, { ...pxe(0), userClass: "iPXE" }, { kind: "tftp", file: "undionly.kpxe", userClass: "Anvil" }],
    ["Anvil's iPXE the script even when chainloading foreign iPXE", { chainloadForeignIpxe: true }, { ...pxe(0), userClass: "Anvil" }, { kind: "script", url: "http://10.0.0.1:8080/boot.ipxe" }],
  ])("offers %s", (_what, over, spec, choice) => {
    expect(chooseBoot(client(spec), record(), resolveConfig({ ...base, ...over }))).toEqual(choice);
  });

  it("offers a configured user class in place of Anvil", () => {
    expect(chooseBoot(client(pxe(0)), record(), resolveConfig({ ...base, anvilUserClass: "Site-Anvil" }))).toEqual({ kind: "tftp", file: "undionly.kpxe", userClass: "Site-Anvil" });
  });

  it("offers nothing to a known netboot client whose host should not boot now", () => {
    expect(chooseBoot(client(pxe(0)), record({ kind: "none" }), cfg)).toEqual({ kind: "none", reason: "boot-none" });
  });
});

describe("breaking the chainload loop (ADR 0024)", () => {
  const chainload = resolveConfig({ ...base, chainloadForeignIpxe: true });
  const replyTo = (spec: Omit<RequestSpec, "type" | "mac">, c = chainload) => {
    const req = decodeDhcp(encodeDhcp(buildRequest({ type: MessageType.Discover, mac: MAC, ...spec })));
    const reply = baseReply(req, MessageType.Offer, "10.0.0.1");
    applyBoot(req, reply, chooseBoot(classifyClient(req), record(), c), classifyClient(req), c, false);
    return decodeDhcp(encodeDhcp(reply));
  };

  it.each<[string, Omit<RequestSpec, "type" | "mac">, string | undefined]>([
    ["a NIC-ROM iPXE sent to undionly.kpxe", { ...pxe(0), userClass: "iPXE", ipxeFeatures: true }, "Anvil"],
    ["a PXE ROM sent to ipxe.efi", pxe(7), "Anvil"],
    ["a UEFI HTTP client (no cached DHCPACK to carry it)", { vendorClass: "HTTPClient:Arch:00016", arch: 16 }, undefined],
    ["iPXE given the script", { ...pxe(0), userClass: "Anvil" }, undefined],
  ])("puts option 77 in the reply to %s only when it hands out a TFTP binary", (_what, spec, userClass) => {
    expect(replyTo(spec).options.get(Opt.UserClass)?.toString("latin1")).toBe(userClass);
  });

  it("gives the script to the iPXE that asks again with the user class of the ROM's reply, where the ROM itself got the binary", () => {
    const rom = { ...pxe(0), userClass: "iPXE", ipxeFeatures: true };
    const first = replyTo(rom);
    expect(first.file).toBe("undionly.kpxe");
    // iPXE's undionly.kpxe: same options as the ROM, option 77 taken from the ROM's cached DHCPACK.
    const again = { ...rom, userClass: first.options.get(Opt.UserClass)!.toString("latin1") };
    expect(replyTo(again).file).toBe("http://10.0.0.1:8080/boot.ipxe");
  });
});

describe("classifyClient", () => {
  it("reads UNDI version (option 94) and UUID (option 97) per RFC 4578 §2.2-2.3", () => {
    const uuid = Buffer.alloc(16, 7);
    const k = client({ ...pxe(0), ndi: [1, 2, 1], uuid });
    expect(k.undi).toEqual({ major: 2, minor: 1 });
    expect(k.uuid).toEqual(Buffer.concat([Buffer.from([0]), uuid]));
    expect(k.netboot).toBe(true);
    expect(k.ipxe).toBe(false);
  });

  it.each<[string, Buffer, string[]]>([
    ["a raw user class as iPXE sends it", Buffer.from("iPXE"), ["iPXE"]],
    ["RFC 3004 length-prefixed user classes", Buffer.from("\x04iPXE\x05Anvil", "latin1"), ["iPXE", "Anvil"]],
    ["a raw string whose first octet looks like a length", Buffer.from("\x09ab", "latin1"), ["\x09ab"]],
  ])("parses %s", (_what, raw, classes) => {
    expect(parseUserClasses(raw)).toEqual(classes);
  });
});

describe("resolveConfig", () => {
  it.each<[string, Partial<DhcpConfigInput>]>([
    ["an unknown mode", { mode: "server" as never }],
    ["a server address that is not IPv4", { serverAddress: "fe80::1" }],
    ["a pool outside its subnet", { subnets: [{ cidr: "10.0.0.0/24", pool: { start: "10.0.1.1", end: "10.0.1.9" } }] }],
    ["a descending pool", { subnets: [{ cidr: "10.0.0.0/24", pool: { start: "10.0.0.9", end: "10.0.0.1" } }] }],
    ["reservation mode without subnets", { subnets: [] }],
    ["a lease shorter than a minute", { subnets: [{ cidr: "10.0.0.0/24", leaseSeconds: 5 }] }],
  ])("rejects %s", (_what, over) => {
    expect(() => resolveConfig({ ...base, ...over })).toThrow(expect.objectContaining({ code: "DHCP_CONFIG_INVALID" }));
  });
});
