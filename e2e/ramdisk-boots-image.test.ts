/**
 * Provisioning end to end at the ramdisk level, against real peers: the
 * ramdisk (qemu TCG, direct kernel boot) writes the bootable test OS image
 * with a config drive to a virtio disk and powers off; a second qemu boots
 * that disk file through SeaBIOS and syslinux, and the installed OS reports
 * the digest of the user data it read from `config-2` over HTTP.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startAgentManager, type AgentManager } from "./framework/agent-manager.js";
import { HOST_FROM_GUEST, startRamdiskVm, type RamdiskVm, type VmDisk } from "./framework/ramdisk.js";
import { parseTestOsReport, reportingUserData, testOsImage } from "./framework/test-os-image.js";

const TOKEN = randomBytes(24).toString("base64url");
const sha256 = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

describe("a host provisioned by the ramdisk", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "anvil-ramdisk-os-"));
  let manager: AgentManager | undefined;
  const vms: RamdiskVm[] = [];

  afterAll(async () => {
    try {
      for (const vm of vms) await vm.stop();
      await manager?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("boots from its disk afterwards and reads its config drive's user data", async () => {
    manager = await startAgentManager(TOKEN);
    const image = readFileSync(testOsImage());
    manager.files.set("test-os.img", image);
    const disk: VmDisk = { file: path.join(dir, "vda.raw"), sizeBytes: 5 * 2 ** 30, bus: "virtio", serial: "ANVIL-OS-1" };
    const base = `http://${HOST_FROM_GUEST}:${manager.port}`;
    const uuid = randomUUID();
    const userData = reportingUserData(`${base}/report`, `# ${randomBytes(8).toString("hex")}\n`);

    const ramdisk = startRamdiskVm({
      dir,
      mac: "52:54:00:a5:00:02",
      disks: [disk],
      append: `console=ttyS0 quiet anvil.api=${base}/agent/v1 anvil.token=${TOKEN}`,
    });
    vms.push(ramdisk);
    await manager.waitFor((r) => r.path === "/instructions", 180_000);
    const since = Date.now();
    manager.give({
      action: "deploy",
      image: { url: `${base}/files/test-os.img`, checksum: sha256(image), checksumType: "sha256" },
      configDrive: { userData, metaData: { uuid, "local-hostname": "host-os" } },
    });
    const result = await manager.result(since, 150_000);
    expect(result).toEqual({ action: "deploy", ok: true, rootDevice: "/dev/vda" });
    const deployMs = Date.now() - since;
    manager.give({ action: "poweroff" });
    expect(await ramdisk.waitForExit(60_000)).toBe(0);

    const installed = startRamdiskVm({ dir, name: "installed", mac: "52:54:00:a5:00:02", disks: [disk] });
    vms.push(installed);
    const report = await manager.waitFor((r) => r.path === "/report", 180_000);
    expect(parseTestOsReport(report.body as string)).toEqual({ userdataSha256: sha256(userData), uuid, device: "/dev/vda2", hostname: "host-os", providerid: "" });
    expect(await installed.waitForExit(60_000)).toBe(0);
    expect(installed.serial()).toContain("anvil-test-os: booted from disk");
    console.info(
      `test OS: ${image.length} B image deployed with config drive in ${deployMs} ms; disk boot → report ${report.at - installed.startedAt} ms after qemu start`,
    );
  }, 600_000);
});
