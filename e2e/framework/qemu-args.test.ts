import { describe, expect, it } from "vitest";
import { qemuArgs, QemuArgsError, type QemuArgsOptions } from "./qemu-args.js";

const base: QemuArgsOptions = { firmware: "bios", tap: "tap0", mac: "52:54:00:00:00:01", serialLog: "/tmp/s.log" };

/** The value following `flag` in `args`, for each occurrence. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ""] : []));
}

describe("qemuArgs", () => {
  it.each<[string, QemuArgsOptions, string, string[]]>([
    ["always uses TCG, never KVM", base, "-accel", ["tcg"]],
    ["sends the serial console to the given file", base, "-serial", ["file:/tmp/s.log"]],
    ["attaches the NIC to the tap without qemu's ifup scripts", base, "-netdev", ["tap,id=net0,ifname=tap0,script=no,downscript=no"]],
    ["network-boots an e1000 first by default", base, "-device", ["e1000,netdev=net0,mac=52:54:00:00:00:01,bootindex=1"]],
    [
      "uses virtio-net when asked",
      { ...base, nic: "virtio-net-pci" },
      "-device",
      ["virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,bootindex=1"],
    ],
    [
      "drops the NIC's iPXE option ROM when asked, leaving the firmware's own PXE client",
      { ...base, nic: "virtio-net-pci", nicRom: "none" },
      "-device",
      ["virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,romfile=,bootindex=1"],
    ],
    [
      "maps OVMF code read-only and the VM's own vars copy writable",
      { ...base, firmware: "uefi", uefi: { code: "/o/CODE.fd", vars: "/t/VARS.fd" } },
      "-drive",
      ["if=pflash,format=raw,unit=0,readonly=on,file=/o/CODE.fd", "if=pflash,format=raw,unit=1,file=/t/VARS.fd"],
    ],
    [
      "puts the disk after the network in the boot order",
      { ...base, disk: "/t/d.img" },
      "-device",
      ["e1000,netdev=net0,mac=52:54:00:00:00:01,bootindex=1", "virtio-blk-pci,drive=disk0,bootindex=2"],
    ],
    [
      "captures SeaBIOS's debug console when a firmware log is asked for",
      { ...base, firmwareLog: "/t/fw.log" },
      "-chardev",
      ["file,id=fwlog,path=/t/fw.log"],
    ],
    [
      "gives no boot index to the NIC when booting a kernel directly",
      { ...base, direct: { kernel: "/k", initrd: "/i", append: "console=ttyS0" } },
      "-device",
      ["e1000,netdev=net0,mac=52:54:00:00:00:01"],
    ],
  ])("%s", (_name, opts, flag, expected) => {
    expect(values(qemuArgs(opts), flag)).toEqual(expected);
  });

  it("exits instead of rebooting under SeaBIOS, so a failed boot ends the process", () => {
    expect(qemuArgs(base)).toContain("-no-reboot");
  });

  it("lets OVMF reboot, since it may reset once to apply a fresh variable store", () => {
    expect(qemuArgs({ ...base, firmware: "uefi", uefi: { code: "/c", vars: "/v" } })).not.toContain("-no-reboot");
  });

  it("ignores a firmware log for UEFI, where OVMF already prints to the serial console", () => {
    expect(qemuArgs({ ...base, firmware: "uefi", uefi: { code: "/c", vars: "/v" }, firmwareLog: "/f" })).not.toContain("-chardev");
  });

  it.each<[string, Partial<QemuArgsOptions>]>([
    ["an upper-case MAC", { mac: "52:54:00:AA:00:01" }],
    ["a dash-separated MAC", { mac: "52-54-00-00-00-01" }],
    ["a multicast MAC", { mac: "01:00:5e:00:00:01" }],
    ["UEFI without OVMF files", { firmware: "uefi" }],
  ])("refuses %s", (_name, patch) => {
    expect(() => qemuArgs({ ...base, ...patch })).toThrow(QemuArgsError);
  });
});
