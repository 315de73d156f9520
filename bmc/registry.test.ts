import { describe, expect, it } from "vitest";
import { BmcAccessQueue } from "./access-queue.js";
import { BmcErrorCode, isBmcError } from "./errors.js";
import { FixtureBmc } from "./fixture/fixture-bmc.js";
import { connectBmc, defaultRegistry } from "./index.js";
import { DriverRegistry } from "./registry.js";

const credentials = { username: "admin", password: "registry-pw" };

describe("defaultRegistry", () => {
  it.each([
    ["ipmi://127.0.0.1:6230", "ipmi"],
    ["127.0.0.1:6230", "ipmi"],
    ["libvirt://127.0.0.1:6230", "ipmi"],
    ["redfish://127.0.0.1/redfish/v1/Systems/1", "redfish"],
    ["redfish+http://127.0.0.1:8000/redfish/v1/Systems/1", "redfish"],
    ["redfish+https://127.0.0.1/redfish/v1/Systems/1", "redfish"],
    ["redfish-virtualmedia://127.0.0.1/redfish/v1/Systems/1", "redfish"],
    ["redfish-uefihttp://127.0.0.1/redfish/v1/Systems/1", "redfish"],
    ["idrac-redfish://127.0.0.1/redfish/v1/Systems/System.Embedded.1", "redfish"],
    ["idrac-virtualmedia+https://127.0.0.1/redfish/v1/Systems/System.Embedded.1", "redfish"],
    ["ilo5-redfish://127.0.0.1/redfish/v1/Systems/1", "redfish"],
    ["ilo5-virtualmedia+http://127.0.0.1/redfish/v1/Systems/1", "redfish"],
  ])("gives %s to the %s driver without talking to it", async (address, driver) => {
    const bmc = defaultRegistry().create({ address, credentials });
    expect(bmc.driver).toBe(driver);
    expect(bmc.displayAddress).not.toContain(credentials.password);
    await bmc.close();
  });

  it.each([
    ["foo://127.0.0.1", BmcErrorCode.InvalidAddress],
    ["redfish+ftp://127.0.0.1", BmcErrorCode.InvalidAddress],
    ["idrac://127.0.0.1", BmcErrorCode.NotSupported],
  ])("refuses %s with %s", (address, code) => {
    let err: unknown;
    try {
      defaultRegistry().create({ address, credentials });
    } catch (e) {
      err = e;
    }
    expect(isBmcError(err, code)).toBe(true);
  });
});

describe("DriverRegistry", () => {
  it("says NotSupported for a protocol with no driver registered", () => {
    const registry = new DriverRegistry().register("redfish", () => new FixtureBmc());
    expect(() => registry.create({ address: "ipmi://127.0.0.1", credentials })).toThrow(/no ipmi driver/);
  });

  it("hands the parsed target and the options to the factory", () => {
    const seen: unknown[] = [];
    const registry = new DriverRegistry().register("ipmi", (target, options) => {
      seen.push(target, options.insecure);
      return new FixtureBmc();
    });
    registry.create({ address: "ipmi://10.1.2.3:6231?privilegelevel=OPERATOR", credentials, insecure: true });
    expect(seen).toEqual([{ protocol: "ipmi", scheme: "ipmi", host: "10.1.2.3", port: 6231, privilegeLevel: "OPERATOR" }, true]);
  });
});

describe("connectBmc", () => {
  it("puts the driver's client behind the access queue", async () => {
    const fixture = new FixtureBmc({ power: "on", latencyMs: 10 });
    fixture.failNext("getPower", BmcErrorCode.BmcError, { transient: true });
    const registry = new DriverRegistry().register("redfish", () => fixture);
    const bmc = await connectBmc({
      address: "redfish://127.0.0.1/redfish/v1/Systems/1",
      credentials,
      registry,
      queue: new BmcAccessQueue({ retry: { attempts: 2, baseDelayMs: 1 } }),
    });
    await Promise.all([bmc.power.getPower(), bmc.power.getPower(), bmc.power.getPower()]);
    expect(fixture.maxInFlight).toBe(1);
    expect(fixture.callsOf("getPower")).toBe(4);
  });

  it("adds no queue retries on top of the IPMI driver's own retransmissions", async () => {
    const fixture = new FixtureBmc();
    fixture.failNext("getPower", BmcErrorCode.Unreachable, { transient: true });
    const asIpmi = { ...fixture, driver: "ipmi", power: fixture.power, close: () => fixture.close() };
    const registry = new DriverRegistry().register("ipmi", () => asIpmi);
    const bmc = await connectBmc({ address: "ipmi://127.0.0.1:6230", credentials, registry, queue: new BmcAccessQueue({ retry: { attempts: 3, baseDelayMs: 1 } }) });
    const err = await bmc.power.getPower().catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.Unreachable)).toBe(true);
    expect(fixture.callsOf("getPower")).toBe(1);
  });

  it("rejects an unknown scheme with InvalidAddress", async () => {
    const err = await connectBmc({ address: "gopher://127.0.0.1", credentials }).catch((e: unknown) => e);
    expect(isBmcError(err, BmcErrorCode.InvalidAddress)).toBe(true);
  });
});
