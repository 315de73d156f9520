/**
 * The boot service's backend on Kubernetes (pxe/boot-backend.ts), answered
 * from the caches only: a MAC index kept from host events and the agent
 * store's token index, so a DHCP storm costs no API call.
 *
 * - `ramdisk` while the host holds a ramdisk job that was not released;
 * - `local-disk` for provisioned and externally provisioned hosts;
 * - `none` for every other known host; `undefined` for unknown MACs.
 */
import { ProvisioningState, type BareMetalHost } from "../../api/index.js";
import type { BootAction, BootBackend, BootRecord } from "../../pxe/boot-backend.js";
import { keyOf, type Informer } from "../runtime/index.js";
import type { AgentStateStore } from "./agent-state-store.js";

export interface RamdiskSettings {
  readonly kernelUrl: string;
  readonly initrdUrl: string;
  readonly kernelArgs?: string;
}

/** Lower-case colon form; undefined unless 6 octets (the boot service's own normaliser is not ours to import). */
export function macKey(mac: string | undefined): string | undefined {
  if (mac === undefined) return undefined;
  const hex = mac.toLowerCase().replace(/[^0-9a-f]/g, "");
  if (hex.length !== 12) return undefined;
  return hex.match(/../g)?.join(":");
}

const LOCAL_DISK: ReadonlySet<string> = new Set([ProvisioningState.Provisioned, ProvisioningState.ExternallyProvisioned]);

export class KubeBootBackend implements BootBackend {
  /** mac → host keys (a duplicate bootMACAddress is a user error; the first key in order answers). */
  readonly #byMac = new Map<string, Set<string>>();
  readonly #macOf = new Map<string, string>();

  constructor(
    hostCache: Informer<BareMetalHost>,
    private readonly host: (key: string) => BareMetalHost | undefined,
    private readonly store: AgentStateStore,
    private readonly ramdisk: RamdiskSettings,
  ) {
    hostCache.addHandler({
      add: (h) => this.#index(h),
      update: (_a, b) => this.#index(b),
      delete: (h) => this.#unindex(keyOf(h)),
    });
  }

  #index(h: BareMetalHost): void {
    const key = keyOf(h);
    const mac = macKey(h.spec.bootMACAddress);
    if (this.#macOf.get(key) === mac) return;
    this.#unindex(key);
    if (mac === undefined) return;
    this.#macOf.set(key, mac);
    let set = this.#byMac.get(mac);
    if (set === undefined) this.#byMac.set(mac, (set = new Set()));
    set.add(key);
  }

  #unindex(key: string): void {
    const mac = this.#macOf.get(key);
    if (mac === undefined) return;
    this.#macOf.delete(key);
    const set = this.#byMac.get(mac);
    set?.delete(key);
    if (set?.size === 0) this.#byMac.delete(mac);
  }

  byMac(mac: string): Promise<BootRecord | undefined> {
    const m = macKey(mac);
    const keys = m === undefined ? undefined : this.#byMac.get(m);
    const key = keys === undefined ? undefined : [...keys].sort()[0];
    const host = key === undefined ? undefined : this.host(key);
    return Promise.resolve(host === undefined ? undefined : this.#record(host));
  }

  byToken(token: string): Promise<BootRecord | undefined> {
    const key = this.store.hostKeyForToken(token);
    const host = key === undefined ? undefined : this.host(key);
    return Promise.resolve(host === undefined ? undefined : this.#record(host));
  }

  #record(host: BareMetalHost): BootRecord | undefined {
    const mac = macKey(host.spec.bootMACAddress);
    if (mac === undefined) return undefined;
    return { mac, hostName: keyOf(host), action: this.#action(host) };
  }

  #action(host: BareMetalHost): BootAction {
    const rec = this.store.read(host);
    if (rec?.state.job !== undefined && rec.state.released !== true) {
      const r = this.ramdisk;
      return { kind: "ramdisk", token: rec.token, kernelUrl: r.kernelUrl, initrdUrl: r.initrdUrl, ...(r.kernelArgs !== undefined ? { kernelArgs: r.kernelArgs } : {}) };
    }
    if (LOCAL_DISK.has(host.status?.provisioning.state ?? "")) return { kind: "local-disk" };
    return { kind: "none" };
  }
}
