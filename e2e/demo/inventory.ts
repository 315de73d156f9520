/**
 * The demo's sample inventory: one BMC credentials Secret and one
 * BareMetalHost per emulated system, written the way Metal3's documentation
 * writes them (Secret `data` with base64 `username`/`password`, the host
 * pointing at it with `bmc.credentialsName`).
 */

/** One emulated server as the BMC emulator knows it. */
export interface FleetSystem {
  /** Redfish ComputerSystem id (sushy-tools' fake driver uses the UUID). */
  readonly id: string;
  readonly name: string;
  /** MAC of the NIC that network-boots the host. */
  readonly bootMac: string;
}

export interface InventoryOptions {
  /** Redfish service root of the emulator, e.g. `http://127.0.0.1:8000`. */
  readonly redfishBase: string;
  readonly namespace: string;
  readonly username: string;
  readonly password: string;
  /** Labels put on every host (e.g. a demo selector). */
  readonly labels?: Readonly<Record<string, string>>;
}

export type Manifest = Record<string, unknown>;

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/**
 * Metal3's `redfish+http://` scheme (plain HTTP Redfish, as sushy-tools serves
 * it on loopback) followed by the system's path under the service root
 * (Redfish DSP0266 §6.3: /redfish/v1/Systems/{id}).
 */
export function redfishAddress(redfishBase: string, systemId: string): string {
  const u = new URL(redfishBase);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`not an HTTP URL: ${redfishBase}`);
  const scheme = u.protocol === "http:" ? "redfish+http" : "redfish+https";
  return `${scheme}://${u.host}/redfish/v1/Systems/${encodeURIComponent(systemId)}`;
}

export function bmcSecretName(hostName: string): string {
  return `${hostName}-bmc-secret`;
}

export function fleetInventory(systems: readonly FleetSystem[], opts: InventoryOptions): Manifest[] {
  return systems.flatMap((s) => [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: bmcSecretName(s.name), namespace: opts.namespace },
      type: "Opaque",
      data: { username: b64(opts.username), password: b64(opts.password) },
    },
    {
      apiVersion: "metal3.io/v1alpha1",
      kind: "BareMetalHost",
      metadata: { name: s.name, namespace: opts.namespace, ...(opts.labels ? { labels: { ...opts.labels } } : {}) },
      spec: {
        online: true,
        bootMACAddress: s.bootMac,
        bmc: { address: redfishAddress(opts.redfishBase, s.id), credentialsName: bmcSecretName(s.name) },
      },
    },
  ]);
}
