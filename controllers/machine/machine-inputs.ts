/**
 * What an AnvilMachine takes from its own spec and its Machine before it
 * touches a host: where the user data comes from, which failure domain to
 * prefer, and which host a providerID names.
 */
import type { AnvilMachine } from "../../api/index.js";
import type { CapiMachine } from "../cluster/capi-objects.js";

/** The host segment of `anvil://<namespace>/<host>/<machine>`. */
export function hostOfProviderID(id: string | undefined): string | undefined {
  const m = /^anvil:\/\/[^/]+\/([^/]+)\/[^/]+$/.exec(id ?? "");
  return m?.[1];
}

export class BootstrapSecretMissing extends Error {
  override readonly name = "BootstrapSecretMissing";
  readonly code = "MACHINE_BOOTSTRAP_SECRET_MISSING";
  constructor(namespace: string, secret: string) {
    super(`bootstrap data Secret ${namespace}/${secret} named by the Machine does not exist`);
  }
}

export type UserDataSource =
  | { readonly ok: true; readonly secretRef?: { name: string; namespace: string }; readonly bootstrapSecret?: string }
  | { readonly ok: false; readonly message: string };

/** spec.userData overrides the Machine's bootstrap data; either must be in the machine's namespace (Metal3 refuses cross-namespace data). */
export function resolveUserData(am: AnvilMachine, machine: CapiMachine): UserDataSource {
  const own = am.spec.userData;
  const ns = am.metadata.namespace ?? "";
  if (own?.name) {
    if (own.namespace && own.namespace !== ns) return { ok: false, message: `spec.userData must name a Secret in namespace ${ns}, not ${own.namespace}` };
    return { ok: true, secretRef: { name: own.name, namespace: ns } };
  }
  const name = machine.spec?.bootstrap?.dataSecretName;
  if (!name) return { ok: false, message: `waiting for Machine ${machine.metadata.name ?? ""} to get spec.bootstrap.dataSecretName from its bootstrap provider` };
  return { ok: true, bootstrapSecret: name };
}

export function preferredDomain(am: AnvilMachine, machine: CapiMachine): string | undefined {
  return machine.spec?.failureDomain || am.spec.failureDomain || undefined;
}
