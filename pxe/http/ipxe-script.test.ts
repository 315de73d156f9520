import { describe, expect, it } from "vitest";
import type { BootRecord } from "../boot-backend.js";
import { entryScript, hostScript } from "./ipxe-script.js";
import { HOSTS } from "./testing/memory-backend.js";

const base = "http://10.0.0.1:8080";
const byName = (n: string): BootRecord => HOSTS.find((h) => h.hostName === n)!;

describe("entryScript", () => {
  it("chains to the booting interface's own script and frees itself", () => {
    expect(entryScript(base)).toBe("#!ipxe\nchain --autofree http://10.0.0.1:8080/ipxe/${netX/mac:hexhyp} || exit\n");
  });
});

describe("hostScript", () => {
  it.each([
    ["frees earlier images before loading the ramdisk", "default/deploy-me", /^#!ipxe\n# .*\nimgfree\nkernel /],
    ["names the initrd on the kernel command line for Debian's EFI iPXE", "default/deploy-me", /kernel http:\/\/10\.0\.0\.1:8080\/assets\/vmlinuz initrd=initrd\.img /],
    ["loads the initrd under that name", "default/deploy-me", /\ninitrd --name initrd\.img http:\/\/10\.0\.0\.1:8080\/assets\/initrd\.img /],
    ["passes the host's token and its own agent API base, under which the agent's paths land", "default/deploy-me", / anvil\.api=http:\/\/10\.0\.0\.1:8080\/agent\/v1\/hosts\/52-54-00-00-00-01 anvil\.token=tok-one-AAAA console=ttyS0 /],
    ["boots the first disk with sanboot on BIOS", "default/disk", /\nsanboot --no-describe --drive 0x80 /],
    ["leaves iPXE with exit on UEFI", "default/disk", /iseq \$\{platform\} efi && goto uefi \|\|\n[\s\S]*:uefi\nexit\n$/],
    ["only exits when there is nothing to boot", "default/idle", /^#!ipxe\n# [^\n]*\nexit\n$/],
  ])("%s", (_name, host, pattern) => {
    expect(hostScript(byName(host), { baseUrl: base })).toMatch(pattern);
  });

  it("never puts one host's token into another host's script", () => {
    expect(hostScript(byName("default/other"), { baseUrl: base })).not.toContain("tok-one-AAAA");
  });

  it.each([
    ["a token with a space", { token: "a b" }],
    ["a token with an iPXE expansion", { token: "${ip}" }],
    ["a kernel URL with a space", { kernelUrl: "http://x/a b" }],
    ["kernel arguments with a line break", { kernelArgs: "a\nchain http://evil" }],
  ])("refuses to render %s", (_name, patch) => {
    const r = byName("default/deploy-me");
    if (r.action.kind !== "ramdisk") throw new Error("fixture");
    const bad: BootRecord = { ...r, action: { ...r.action, ...patch } };
    expect(() => hostScript(bad, { baseUrl: base })).toThrow(expect.objectContaining({ code: "PXE_HTTP_UNSAFE_SCRIPT_VALUE" }));
  });
});
