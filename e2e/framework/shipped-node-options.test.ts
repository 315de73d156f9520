import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { shippedManagerNodeArgs } from "./shipped-node-options.js";

function manifest(env: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "anvil-node-options-"));
  const file = path.join(dir, "manager.yaml");
  writeFileSync(
    file,
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x}\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n${env}`,
  );
  return file;
}

describe("shippedManagerNodeArgs", () => {
  it.each([
    ["a clusterctl variable's default", '          env:\n            - name: NODE_OPTIONS\n              value: "${ANVIL_NODE_OPTIONS:=--max-old-space-size=192 --max-semi-space-size=8}"\n', ["--max-old-space-size=192", "--max-semi-space-size=8"]],
    ["a literal value", "          env:\n            - name: NODE_OPTIONS\n              value: --max-old-space-size=64\n", ["--max-old-space-size=64"]],
    ["no NODE_OPTIONS at all", "          env: []\n", []],
  ])("reads %s as the manager's node arguments", (_name, env, want) => {
    expect(shippedManagerNodeArgs(manifest(env))).toEqual(want);
  });

  it("refuses a variable without a default, which clusterctl would not fill", () => {
    expect(() => shippedManagerNodeArgs(manifest('          env:\n            - name: NODE_OPTIONS\n              value: "${ANVIL_NODE_OPTIONS}"\n'))).toThrow(/without a default/);
  });

  it("reads the repository's own Deployment", () => {
    expect(shippedManagerNodeArgs()).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });
});
