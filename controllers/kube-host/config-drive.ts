/**
 * What goes on the config drive of a deployed host, from the Secrets its
 * BareMetalHost names, with Metal3's keys (baremetal-operator docs/api.md,
 * CAPM3 docs/api.md): `userData` (or `value`, the key of a CAPI bootstrap
 * Secret), `metaData`, `networkData` (falling back to
 * `preprovisioningNetworkDataName`). Meta-data gets Metal3's defaults
 * (uuid, metal3-namespace, metal3-name, local-hostname, local_hostname),
 * which the Secret may override.
 */
import { parse as parseYaml } from "yaml";
import type { BareMetalHost } from "../../api/index.js";
import type { AgentConfigDrive } from "../../pxe/agent-backend.js";
import { secretKey, secretValue, type Secret } from "./secret.js";

export type ConfigDriveResult =
  | { readonly ok: true; readonly drive: AgentConfigDrive }
  /** A named Secret is missing or unreadable: the deploy waits for it rather than booting without bootstrap data. */
  | { readonly ok: false; readonly reason: string };

type Lookup = (key: string) => Secret | undefined;

export function configDriveFor(host: BareMetalHost, secretOf: Lookup): ConfigDriveResult {
  const ns = host.metadata.namespace ?? "";
  const spec = host.spec;
  const name = host.metadata.name ?? "";

  let userData: string | null = null;
  const udKey = secretKey(ns, spec.userData);
  if (udKey !== undefined) {
    const s = secretOf(udKey);
    if (s === undefined) return { ok: false, reason: `user data Secret "${udKey}" not found` };
    userData = secretValue(s, "userData") ?? secretValue(s, "value") ?? null;
  }

  const metaData: Record<string, unknown> = { uuid: host.metadata.uid ?? "", "metal3-namespace": ns, "metal3-name": name, "local-hostname": name, local_hostname: name };
  const mdKey = secretKey(ns, spec.metaData);
  if (mdKey !== undefined) {
    const parsed = documentIn(secretOf(mdKey), "metaData");
    if (!parsed.ok) return { ok: false, reason: `meta-data Secret "${mdKey}" ${parsed.reason}` };
    Object.assign(metaData, parsed.value);
  }

  let networkData: Record<string, unknown> | null = null;
  const ndKey = secretKey(ns, spec.networkData) ?? secretKey(ns, spec.preprovisioningNetworkDataName);
  if (ndKey !== undefined) {
    const parsed = documentIn(secretOf(ndKey), "networkData");
    if (!parsed.ok) return { ok: false, reason: `network data Secret "${ndKey}" ${parsed.reason}` };
    networkData = parsed.value;
  }
  return { ok: true, drive: { userData, metaData, networkData } };
}

/** A YAML (or JSON, a subset) mapping under `key`. Parse errors never quote the value. */
function documentIn(s: Secret | undefined, key: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (s === undefined) return { ok: false, reason: "not found" };
  const text = secretValue(s, key);
  if (text === undefined) return { ok: false, reason: `has no "${key}" key` };
  try {
    const v = parseYaml(text) as unknown;
    if (v === null || v === undefined) return { ok: true, value: {} };
    if (typeof v === "object" && !Array.isArray(v)) return { ok: true, value: v as Record<string, unknown> };
  } catch {
    // fall through
  }
  return { ok: false, reason: `"${key}" is not a YAML or JSON mapping` };
}
