import { describe, expect, it } from "vitest";
import { domainXml, DomainSpecError, xmlEscape, type DomainSpec } from "./libvirt-domain-xml.js";

const base: DomainSpec = { name: "vm0", mac: "52:54:00:10:00:01", bridge: "br0", disk: "/tmp/lab/vm0.raw", serialLog: "/tmp/lab/vm0.serial.log" };

describe("domainXml", () => {
  it("makes a TCG domain with ACPI, so a guest poweroff ends the domain", () => {
    const xml = domainXml(base);
    expect(xml).toMatch(/^<domain type='qemu'>/);
    expect(xml).toContain("<features><acpi/></features>");
    expect(xml).toContain("<on_poweroff>destroy</on_poweroff>");
  });

  it.each([
    { boot: undefined, want: ["network", "hd"] },
    { boot: ["hd"] as const, want: ["hd"] },
    { boot: ["hd", "network"] as const, want: ["hd", "network"] },
  ])("boots $want in that order for boot=$boot", ({ boot, want }) => {
    const xml = domainXml({ ...base, boot });
    expect([...xml.matchAll(/<boot dev='(\w+)'\/>/g)].map((m) => m[1])).toEqual(want);
  });

  it.each([
    { nic: undefined, nicRom: undefined, model: "e1000", rom: false },
    { nic: "virtio" as const, nicRom: "none" as const, model: "virtio", rom: true },
  ])("puts a $model NIC on the bridge with the given MAC (ROM disabled: $rom)", ({ nic, nicRom, model, rom }) => {
    const xml = domainXml({ ...base, nic, nicRom });
    expect(xml).toContain(`<source bridge='br0'/>`);
    expect(xml).toContain(`<mac address='52:54:00:10:00:01'/>`);
    expect(xml).toContain(`<model type='${model}'/>`);
    expect(xml.includes("<rom enabled='no'/>")).toBe(rom);
  });

  it("uses the OVMF code and the domain's own variable store for UEFI", () => {
    const xml = domainXml({ ...base, firmware: "uefi", uefi: { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/tmp/lab/vm0.vars" } });
    expect(xml).toContain("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>");
    expect(xml).toContain("<nvram>/tmp/lab/vm0.vars</nvram>");
    expect(domainXml(base)).not.toContain("<loader");
  });

  it("escapes paths, so a quote in a file name cannot end an attribute", () => {
    expect(domainXml({ ...base, disk: "/tmp/a'b&c.raw" })).toContain("<source file='/tmp/a&apos;b&amp;c.raw'/>");
    expect(xmlEscape(`<"&'>`)).toBe("&lt;&quot;&amp;&apos;&gt;");
  });

  it.each([
    { name: "bad name", spec: { ...base, name: "VM 0" } },
    { name: "upper-case mac", spec: { ...base, mac: "52:54:00:10:00:0A" } },
    { name: "multicast mac", spec: { ...base, mac: "53:54:00:10:00:01" } },
    { name: "uefi without OVMF", spec: { ...base, firmware: "uefi" as const } },
    { name: "bad uuid", spec: { ...base, uuid: "not-a-uuid" } },
    { name: "repeated boot device", spec: { ...base, boot: ["hd", "hd"] as const } },
    { name: "empty boot order", spec: { ...base, boot: [] } },
    { name: "bridge name too long", spec: { ...base, bridge: "a-very-long-bridge-name" } },
  ])("refuses a spec with $name", ({ spec }) => {
    expect(() => domainXml(spec)).toThrow(DomainSpecError);
  });
});
