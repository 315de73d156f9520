/**
 * The BareMetalHost type is inferred from the same schema the CRD is made
 * of: these checks fail to compile when the two stop agreeing.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { validate } from "../../schema/validate.js";
import type { BareMetalHost, BareMetalHostSpec, BareMetalHostStatus } from "./baremetalhost.js";
import { BareMetalHostKind } from "./baremetalhost.js";
import { ErrorType, HostAnnotation, OperationalStatus, ProvisioningState, type BootMode } from "./constants.js";

const host: BareMetalHost = {
  apiVersion: BareMetalHostKind.apiVersion,
  kind: "BareMetalHost",
  metadata: { name: "worker-0", namespace: "metal3", annotations: { [HostAnnotation.Inspect]: "disabled" } },
  spec: {
    online: true,
    bootMACAddress: "00:b2:8c:ee:22:98",
    bootMode: "UEFI",
    bmc: { address: "ipmi://192.168.111.1:6230", credentialsName: "worker-0-bmc-secret" },
    image: { url: "http://172.22.0.1/disk.qcow2", checksum: "abc", checksumType: "sha256", format: "qcow2" },
    rootDeviceHints: { minSizeGigabytes: 20, rotational: false },
  },
  status: {
    operationalStatus: OperationalStatus.Error,
    errorType: ErrorType.Registration,
    errorMessage: "power status: connection refused",
    errorCount: 1,
    poweredOn: false,
    provisioning: { state: ProvisioningState.Registering, ID: "" },
    operationHistory: { register: { start: "2026-11-22T02:30:00Z", end: null } },
  },
};

describe("the BareMetalHost type", () => {
  it("admits a host the schema admits", () => {
    expect(validate(BareMetalHostKind.crd.spec.versions[0]!.schema.openAPIV3Schema, host)).toEqual([]);
  });

  it("carries the schema's enums and required keys", () => {
    expectTypeOf<NonNullable<BareMetalHostSpec["bootMode"]>>().toEqualTypeOf<BootMode>();
    expectTypeOf<BareMetalHostSpec["online"]>().toEqualTypeOf<boolean>();
    expectTypeOf<NonNullable<BareMetalHostStatus["errorType"]>>().toEqualTypeOf<ErrorType>();
    expectTypeOf<BareMetalHostStatus["provisioning"]["state"]>().toEqualTypeOf<string>();
    // @ts-expect-error boot modes are case-sensitive
    const bad: BareMetalHostSpec = { online: true, bootMode: "uefi" };
    expect(bad.online).toBe(true);
  });

  it("refuses at compile time a spec without online, as the API server refuses it", () => {
    // @ts-expect-error online is required
    const missing: BareMetalHostSpec = { bootMACAddress: "00:b2:8c:ee:22:98" };
    const specSchema = BareMetalHostKind.crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    expect(validate(specSchema, missing)).toEqual([{ path: "online", message: "Required value" }]);
  });
});
