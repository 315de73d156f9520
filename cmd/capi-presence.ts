/**
 * Whether Cluster API's Cluster and Machine kinds are served. Anvil also runs
 * as a bare-metal inventory manager without CAPI (BareMetalHosts only, as
 * Metal3's BMO does); then the AnvilCluster/AnvilMachine controllers would
 * only fail their list/watch for ever and keep /readyz red, so the
 * composition root leaves them out and says so once.
 */
import { CapiClusterRef, CapiMachineRef, isNotFound, type Manager } from "../controllers/runtime/index.js";

interface ApiResourceList {
  readonly resources?: readonly { readonly name?: string }[];
}

export type CapiPresence = "installed" | "absent" | "unknown";

export async function capiPresence(manager: Manager, signal?: AbortSignal): Promise<CapiPresence> {
  const path = `/apis/${CapiClusterRef.group}/${CapiClusterRef.version}`;
  try {
    const list = await manager.transport.request<ApiResourceList>("GET", path, { what: `discover ${CapiClusterRef.group}/${CapiClusterRef.version}`, ...(signal ? { signal } : {}) });
    const served = new Set((list.resources ?? []).map((r) => r.name));
    return served.has(CapiClusterRef.plural) && served.has(CapiMachineRef.plural) ? "installed" : "absent";
  } catch (err) {
    // A 404 is a group version nobody serves; anything else (API server not up yet) is not an answer.
    return isNotFound(err) ? "absent" : "unknown";
  }
}
