import { describe, expect, it } from "vitest";
import { fleetInventory, redfishAddress } from "./inventory.js";

describe("the demo inventory", () => {
  it.each([
    { base: "http://127.0.0.1:8000", id: "27946b59-9e44-4fa7-8e91-f3527a1ef094", want: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/27946b59-9e44-4fa7-8e91-f3527a1ef094" },
    { base: "https://127.0.0.1:8443/", id: "System.Embedded.1", want: "redfish+https://127.0.0.1:8443/redfish/v1/Systems/System.Embedded.1" },
    { base: "http://[::1]:8000", id: "a b", want: "redfish+http://[::1]:8000/redfish/v1/Systems/a%20b" },
  ])("addresses system $id behind $base as $want", ({ base, id, want }) => {
    expect(redfishAddress(base, id)).toBe(want);
  });

  it("refuses a service root that is not HTTP", () => {
    expect(() => redfishAddress("ftp://127.0.0.1/", "1")).toThrow(/not an HTTP URL/);
  });

  it("pairs every host with its own credentials Secret, base64 as Metal3 writes it", () => {
    const out = fleetInventory(
      [
        { id: "u-0", name: "node-0", bootMac: "00:5c:52:31:3a:00" },
        { id: "u-1", name: "node-1", bootMac: "00:5c:52:31:3a:01" },
      ],
      { redfishBase: "http://127.0.0.1:8000", namespace: "demo", username: "admin", password: "s3cret", labels: { fleet: "demo" } },
    );
    expect(out.map((m) => `${String(m.kind)}/${String((m.metadata as { name: string }).name)}`)).toEqual([
      "Secret/node-0-bmc-secret",
      "BareMetalHost/node-0",
      "Secret/node-1-bmc-secret",
      "BareMetalHost/node-1",
    ]);
    expect(out[0]).toMatchObject({ data: { username: "YWRtaW4=", password: "czNjcmV0" }, metadata: { namespace: "demo" } });
    expect(out[3]).toMatchObject({
      metadata: { labels: { fleet: "demo" } },
      spec: {
        online: true,
        bootMACAddress: "00:5c:52:31:3a:01",
        bmc: { address: "redfish+http://127.0.0.1:8000/redfish/v1/Systems/u-1", credentialsName: "node-1-bmc-secret" },
      },
    });
  });
});
