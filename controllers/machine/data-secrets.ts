/**
 * The config-drive Secrets an AnvilMachine gives its host, in the host's
 * namespace and owned by the AnvilMachine (so garbage collection and
 * `clusterctl move` follow the machine):
 * - `<machine>-user-data`: the bootstrap data, keys `value` and `format` as
 *   CAPI's bootstrap Secret has them (Metal3 reads `userData`, else `value`);
 * - `<machine>-meta-data`: key `metaData`, a JSON (hence YAML) document with
 *   `uuid` (the host's UID, Metal3's default), `providerid`,
 *   `local-hostname` and `name`.
 * Their values are never logged or put in an event or condition.
 */
import { INFRASTRUCTURE_API_VERSION, Label, type AnvilMachine, type BareMetalHost } from "../../api/index.js";
import { isNotFound, updateObject, type KubeObject, type ResourceClient } from "../runtime/index.js";

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export const userDataSecretName = (machine: string): string => `${machine}-user-data`;
export const metaDataSecretName = (machine: string): string => `${machine}-meta-data`;

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

function owned(am: AnvilMachine, name: string, data: Record<string, string>, clusterName: string | undefined): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: am.metadata.namespace ?? "",
      labels: clusterName ? { [Label.ClusterName]: clusterName } : {},
      ownerReferences: [
        { apiVersion: INFRASTRUCTURE_API_VERSION, kind: "AnvilMachine", name: am.metadata.name ?? "", uid: am.metadata.uid ?? "", controller: true, blockOwnerDeletion: true },
      ],
    },
    type: "Opaque",
    data,
  };
}

/** Copies `value` and `format` of the bootstrap Secret (already base64 in `data`). */
export function userDataSecret(am: AnvilMachine, bootstrap: Secret, clusterName: string | undefined): Secret {
  const data: Record<string, string> = {};
  const value = bootstrap.data?.value;
  if (value !== undefined) data.value = value;
  data.format = bootstrap.data?.format ?? b64("cloud-config");
  return owned(am, userDataSecretName(am.metadata.name ?? ""), data, clusterName);
}

export function metaDataSecret(am: AnvilMachine, host: BareMetalHost, providerId: string, clusterName: string | undefined): Secret {
  const hostName = host.metadata.name ?? "";
  const doc = { uuid: host.metadata.uid ?? "", providerid: providerId, "local-hostname": hostName, name: hostName };
  return owned(am, metaDataSecretName(am.metadata.name ?? ""), { metaData: b64(JSON.stringify(doc)) }, clusterName);
}

/** Creates the Secret or brings its data and labels to `want`; no write when they already match. */
export async function ensureSecret(client: ResourceClient<Secret>, want: Secret, signal?: AbortSignal): Promise<void> {
  const ns = want.metadata?.namespace;
  const name = want.metadata?.name ?? "";
  let have: Secret;
  try {
    have = await client.get(ns, name, signal);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(want, signal);
    return;
  }
  await updateObject(
    client,
    have,
    (d) => {
      d.data = { ...want.data };
      d.metadata = { ...d.metadata, labels: { ...d.metadata?.labels, ...want.metadata?.labels } };
    },
    { ...(signal ? { signal } : {}) },
  );
}

export async function deleteSecret(client: ResourceClient<Secret>, namespace: string, name: string, signal?: AbortSignal): Promise<void> {
  try {
    await client.delete(namespace, name, { ...(signal ? { signal } : {}) });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
