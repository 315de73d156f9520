/**
 * Reads the BMC credentials Secret named by `spec.bmc.credentialsName`.
 * The state machine sees only the lookup (name, presence, resourceVersion);
 * the values go straight to the BMC client factory and nowhere else.
 */
import { BMC_SECRET_KEYS } from "../../api/index.js";
import type { BmcCredentials } from "../../bmc/types.js";
import type { CredentialsLookup } from "../host/index.js";
import { secretValue, type Secret } from "./secret.js";

export interface CredentialsRead {
  readonly lookup: CredentialsLookup;
  /** Present only when `lookup.kind` is `present`. */
  readonly values: BmcCredentials | undefined;
}

/** Metal3 treats an empty username or password like a missing one (secretutils, "missing key"). */
export function readCredentials(secretName: string, secret: Secret | undefined): CredentialsRead {
  if (secret === undefined) return { lookup: { kind: "missing", secretName }, values: undefined };
  const username = secretValue(secret, BMC_SECRET_KEYS.username) ?? "";
  const password = secretValue(secret, BMC_SECRET_KEYS.password) ?? "";
  const missingKeys = [
    ...(username === "" ? [BMC_SECRET_KEYS.username] : []),
    ...(password === "" ? [BMC_SECRET_KEYS.password] : []),
  ];
  if (missingKeys.length > 0) return { lookup: { kind: "incomplete", secretName, missingKeys }, values: undefined };
  return { lookup: { kind: "present", secretName, version: secret.metadata?.resourceVersion ?? "" }, values: { username, password } };
}
