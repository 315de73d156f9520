/**
 * The VM lab laid out for a manager that serves the boot LAN itself: BMC
 * emulators on the `srv` namespace's own 127.0.0.1, Anvil's `anvil bmc`
 * command run there drives both libvirt VMs, and a port of the host's
 * 127.0.0.1 (where the test's kube-apiserver listens) answers inside `srv`.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVmLab, type LabVm, type VmLab } from "./framework/libvirt-lab.js";
import { REPO_ROOT } from "./framework/peers.js";
import { freeTcpPort } from "./framework/ports.js";
import { probeGet } from "./framework/probe.js";

describe("a VM lab whose BMCs live in the boot LAN's server namespace", () => {
  let vmLab: VmLab;
  let passwordFile: string;

  beforeAll(async () => {
    vmLab = await startVmLab({ vms: [{ bmc: "redfish" }, { bmc: "ipmi" }], bmcNamespace: "srv" });
    passwordFile = path.join(vmLab.lab.dir, "bmc-password");
    writeFileSync(passwordFile, `${vmLab.vms[0]!.bmc.password}\n`, { mode: 0o600 });
  }, 240_000);

  afterAll(async () => {
    await vmLab?.stop();
  }, 60_000);

  /** `anvil bmc <action>` run inside `srv`, as a manager there would reach the BMC. */
  const anvilBmc = (vm: LabVm, action: readonly string[]) =>
    vmLab.lab.exec(
      vmLab.net.srv,
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "cmd/anvil.ts"), "bmc", ...action, "--address", vm.bmc.address, "--username", vm.bmc.username, "--password-file", passwordFile],
      { allowFailure: true, timeoutMs: 90_000 },
    );

  it("serves Redfish inside the server namespace only, not on the host's loopback", async () => {
    const url = `${vmLab.redfish!.url}/redfish/v1/`;
    await expect(probeGet(url)).rejects.toThrow(/ECONNREFUSED/);
    expect(await vmLab.redfish!.get("/redfish/v1/Systems")).toMatchObject({ "Members@odata.count": 1 });
  });

  it.each([0, 1])("powers VM %i on and off with `anvil bmc` from the server namespace", async (i) => {
    const vm = vmLab.vms[i]!;
    expect(await vm.domain.state()).toBe("shut off");
    const on = await anvilBmc(vm, ["power-on"]);
    expect(on.code, on.stderr).toBe(0);
    expect(await vm.domain.state()).toBe("running");
    const status = await anvilBmc(vm, ["power-status"]);
    expect(status.stdout.trim()).toBe("on");
    const off = await anvilBmc(vm, ["power-off", "--force"]);
    expect(off.code, off.stderr).toBe(0);
    await vm.domain.waitForState("shut off", 30_000);
    // The password never reaches the command's output, even in a lab.
    expect(on.stdout + on.stderr + off.stdout + off.stderr).not.toContain(vm.bmc.password);
  }, 200_000);

  it("answers on the server namespace's 127.0.0.1 for a port of the host's, until the forward stops", async () => {
    const secret = randomBytes(8).toString("hex");
    const port = await freeTcpPort();
    const server = http.createServer((_req, res) => res.end(secret));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const curl = () => vmLab.lab.exec(vmLab.net.srv, "curl", ["-sS", "--max-time", "5", `http://127.0.0.1:${port}/`], { allowFailure: true });
      expect((await curl()).code).not.toBe(0);
      const fwd = await vmLab.forward(port);
      const got = await curl();
      expect(got.stdout).toBe(secret);
      await fwd.stop();
      expect((await curl()).code).not.toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 120_000);
});
