import { describe, expect, it } from "vitest";
import { HostWorld, S } from "./host-world.js";

describe("the Progressing condition after a ramdisk step", () => {
  it.each([
    ["an in-band inspection", { inspectionMode: "agent" as const }, S.Available],
    ["a deploy", { inspectionMode: "disabled" as const }, S.Provisioned],
  ])("goes idle when %s completes, so the next state does not look busy", async (_name, spec, until) => {
    const w = new HostWorld({ spec });
    await w.runTo(S.Available);
    if (until === S.Provisioned) {
      w.edit((h) => (h.spec.image = { url: "http://192.0.2.5/img.raw", checksum: "abc", checksumType: "sha256" }));
      await w.runTo(S.Provisioned);
    }
    const c = w.host.status?.conditions?.find((k) => k.type === "Progressing");
    expect(c).toMatchObject({ status: "False", reason: "Idle", message: "" });
  });
});
