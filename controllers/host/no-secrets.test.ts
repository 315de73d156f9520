import { describe, expect, it } from "vitest";
import { OperationalStatus } from "../../api/index.js";
import { BmcErrorCode } from "../../bmc/errors.js";
import { FixtureBmc } from "../../bmc/fixture/fixture-bmc.js";
import { HostWorld, S } from "./host-world.js";

const PASSWORD = "Pl4nted-BMC-Passw0rd";
const USER_DATA = "#cloud-config\npassword: planted-user-data-secret";
const IMAGE_PASSWORD = "planted-image-url-password";

describe("no secret in any output", () => {
  it("keeps the BMC password, user data and image URL credentials out of every status, event and annotation across the whole life and every failure", async () => {
    const w = new HostWorld({ spec: { inspectionMode: "agent", userData: { name: "node-0-userdata" } } });
    w.secret = { username: "admin", password: PASSWORD, version: "1" };
    const userDataSecret = { name: "node-0-userdata", value: USER_DATA };
    expect(userDataSecret.value).toContain("planted");

    w.bmc.failNext("getPower", BmcErrorCode.AuthFailed, { times: 2 });
    await w.runTo(S.Inspecting, 40);
    w.provisioner.failNext("inspect", "NO_DISKS", "no disks");
    await w.runTo(S.Available, 40);
    w.bmc.setPowerState("off");
    w.bmc.failNext("setPower", BmcErrorCode.BmcError);
    await w.runTo("error", 10, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    w.provisioner.failNext("deploy", "CHECKSUM_MISMATCH", "mismatch");
    w.edit((h) => (h.spec.image = { url: `https://deploy:${IMAGE_PASSWORD}@images.example/img.raw`, checksum: "abc" }));
    await w.runTo(S.Provisioned, 60);
    w.secret = undefined;
    await w.runTo("error", 10, (x) => x.host.status?.operationalStatus === OperationalStatus.Error);
    w.secret = { username: "admin", password: PASSWORD, version: "2" };
    w.bmc = new FixtureBmc({ power: "on" });
    w.edit((h) => delete h.spec.image);
    w.provisioner.failNext("wipe", "WIPE_FAILED", "busy");
    await w.runTo(S.Available, 60);
    w.edit((h) => (h.metadata.deletionTimestamp = "2025-01-01T02:00:00Z"), { bumpGeneration: false });
    await w.runTo("gone", 20, (x) => (x.host.metadata.finalizers ?? []).length === 0);

    const kinds = new Set(w.events.filter((e) => e.type === "Warning").map((e) => e.message.split(":")[0]));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    const stored = w.stored;
    const statusText = JSON.stringify(w.results.map((r) => r.statusPatch)) + JSON.stringify(w.events);
    for (const secret of [PASSWORD, "planted-user-data-secret", IMAGE_PASSWORD]) {
      expect(statusText).not.toContain(secret);
    }
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain("planted-user-data-secret");
  });
});
