import { describe, expect, it } from "vitest";
import { withRamdiskDefaults } from "./boot-service.js";
import { resolvePxeConfig } from "./config.js";

const minimal = { serverAddress: "10.10.0.1", hostsFile: "hosts.yaml" };

describe("resolvePxeConfig", () => {
  it("fills every default from serverAddress alone", () => {
    const c = resolvePxeConfig(minimal, "/etc/anvil");
    expect({ hostsFile: c.hostsFile, tftp: c.tftp, http: c.http, ramdisk: c.ramdisk, dhcp: [c.dhcp.mode, c.dhcp.httpBaseUrl, c.dhcp.scriptUrl] }).toEqual({
      hostsFile: "/etc/anvil/hosts.yaml",
      tftp: {
        address: "10.10.0.1",
        port: 69,
        root: undefined,
        ipxeDir: "/usr/lib/ipxe",
        ipxeFiles: ["undionly.kpxe", "ipxe.efi", "snponly.efi"],
        maxBlockSize: 1468,
        maxWindowSize: 64,
        timeoutMs: 1000,
        maxRetries: 5,
        engine: "auto",
        busyPollMicros: 50,
      },
      http: { address: "10.10.0.1", port: 8080, publicUrl: "http://10.10.0.1:8080", assetsDir: undefined },
      ramdisk: { baseUrl: "http://10.10.0.1:8080/assets/", kernelArgs: undefined },
      dhcp: ["off", "http://10.10.0.1:8080", "http://10.10.0.1:8080/boot.ipxe"],
    });
  });

  it("resolves relative paths against the config file's directory", () => {
    const c = resolvePxeConfig({ ...minimal, tftp: { root: "tftp" }, http: { assetsDir: "../assets" } }, "/etc/anvil");
    expect([c.tftp?.root, c.http?.assetsDir]).toEqual(["/etc/anvil/tftp", "/etc/assets"]);
  });

  it("turns services off with enabled: false", () => {
    const c = resolvePxeConfig({ ...minimal, tftp: { enabled: false }, http: { enabled: false } }, "/");
    expect([c.tftp, c.http]).toEqual([undefined, undefined]);
  });

  it.each([
    ["a missing serverAddress", { hostsFile: "h" }, /serverAddress/],
    ["a missing hostsFile", { serverAddress: "10.0.0.1" }, /hostsFile/],
    ["a blksize ceiling above RFC 2348's 65464", { ...minimal, tftp: { maxBlockSize: 65465 } }, /tftp\.maxBlockSize/],
    ["a windowsize ceiling of 0", { ...minimal, tftp: { maxWindowSize: 0 } }, /tftp\.maxWindowSize/],
    ["an unknown TFTP engine", { ...minimal, tftp: { engine: "rust" } }, /tftp\.engine must be one of auto, native, js/],
    ["a busy-poll time over a second", { ...minimal, tftp: { busyPollMicros: 1_000_001 } }, /tftp\.busyPollMicros must be an integer 0-1000000/],
    ["an HTTP port that is a string", { ...minimal, http: { port: "80" } }, /http\.port/],
    ["an iPXE file name with a slash", { ...minimal, tftp: { ipxeFiles: ["../x"] } }, /tftp\.ipxeFiles/],
    ["a DHCP mode that does not exist", { ...minimal, dhcp: { mode: "relay" } }, /dhcp: mode/],
    ["reservation mode without subnets", { ...minimal, dhcp: { mode: "reservation" } }, /dhcp: reservation mode/],
  ])("refuses %s with PXE_CONFIG_INVALID", (_name, doc, message) => {
    expect(() => resolvePxeConfig(doc, "/")).toThrow(expect.objectContaining({ code: "PXE_CONFIG_INVALID", message: expect.stringMatching(message) as unknown }));
  });
});

describe("withRamdiskDefaults", () => {
  const backend = withRamdiskDefaults(
    {
      byMac: (mac) =>
        Promise.resolve(
          mac === "52:54:00:00:00:01"
            ? { mac, hostName: "a", action: { kind: "ramdisk" as const, token: "t", kernelUrl: "vmlinuz", initrdUrl: "https://cdn.example/initrd.img", kernelArgs: "quiet" } }
            : { mac, hostName: "b", action: { kind: "local-disk" as const } },
        ),
    },
    { baseUrl: "http://10.10.0.1:8080/assets/", kernelArgs: "console=ttyS0" },
  );

  it("resolves relative URLs against the base, keeps absolute ones, and appends site arguments", async () => {
    const r = await backend.byMac("52:54:00:00:00:01");
    expect(r?.action).toEqual({ kind: "ramdisk", token: "t", kernelUrl: "http://10.10.0.1:8080/assets/vmlinuz", initrdUrl: "https://cdn.example/initrd.img", kernelArgs: "quiet console=ttyS0" });
  });

  it("leaves other actions alone", async () => {
    expect((await backend.byMac("52:54:00:00:00:02"))?.action).toEqual({ kind: "local-disk" });
  });
});
