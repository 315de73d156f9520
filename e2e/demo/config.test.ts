import { describe, expect, it } from "vitest";
import { demoConfig } from "./config.js";

describe("the demo settings", () => {
  it("defaults to 8 hosts shown 3 times 5 s apart, ending by itself within 300 s", () => {
    expect(demoConfig({})).toEqual({
      hosts: 8,
      rounds: 3,
      intervalSeconds: 5,
      keep: false,
      timeoutSeconds: 300,
      namespace: "anvil-demo",
      controllerManager: false,
    });
  });

  it.each([
    { env: { DEMO_HOSTS: "20" }, field: "hosts", value: 20 },
    { env: { DEMO_KEEP: "1" }, field: "keep", value: true },
    { env: { DEMO_KEEP: "false" }, field: "keep", value: false },
    { env: { DEMO_INTERVAL: "0" }, field: "intervalSeconds", value: 0 },
    { env: { DEMO_NAMESPACE: "lab-1" }, field: "namespace", value: "lab-1" },
  ])("reads $field from $env", ({ env, field, value }) => {
    expect(demoConfig(env)).toMatchObject({ [field]: value });
  });

  it.each([
    { env: { DEMO_HOSTS: "0" }, variable: "DEMO_HOSTS" },
    { env: { DEMO_HOSTS: "2.5" }, variable: "DEMO_HOSTS" },
    { env: { DEMO_TIMEOUT: "5" }, variable: "DEMO_TIMEOUT" },
    { env: { DEMO_KEEP: "yes" }, variable: "DEMO_KEEP" },
    { env: { DEMO_NAMESPACE: "Not_A_Label" }, variable: "DEMO_NAMESPACE" },
  ])("refuses $env naming the variable", ({ env, variable }) => {
    expect(() => demoConfig(env)).toThrow(expect.objectContaining({ code: "DEMO_BAD_SETTING", variable }));
  });
});
