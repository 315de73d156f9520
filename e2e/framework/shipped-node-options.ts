/**
 * The Node.js options the shipped Deployment gives the manager
 * (`NODE_OPTIONS` in manifests/manager/manager.yaml), as command-line
 * arguments, so benches and the fleet test run the manager as deployed.
 * Read from the manifest itself: one place to change, no copy to drift.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "./peers.js";

interface EnvVar {
  readonly name?: string;
  readonly value?: string;
}
interface Deployment {
  readonly kind?: string;
  readonly spec?: { readonly template?: { readonly spec?: { readonly containers?: readonly { readonly name?: string; readonly env?: readonly EnvVar[] }[] } } };
}

export function shippedManagerNodeArgs(manifest = path.join(REPO_ROOT, "manifests/manager/manager.yaml")): string[] {
  const docs = readFileSync(manifest, "utf8")
    .split(/^---$/m)
    .map((d) => parse(d) as Deployment | null);
  const deployment = docs.find((d) => d?.kind === "Deployment");
  const manager = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === "manager");
  if (manager === undefined) throw new Error(`${manifest}: no Deployment with a container named manager`);
  const value = manager.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
  // A clusterctl variable `${ANVIL_NODE_OPTIONS:=default}`: its default, as `clusterctl init` fills it.
  const filled = value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:=([^}]*)\}/g, (_m, def: string) => def);
  if (filled.includes("${")) throw new Error(`${manifest}: NODE_OPTIONS has a variable without a default: ${value}`);
  return filled.split(/\s+/).filter((a) => a !== "");
}
