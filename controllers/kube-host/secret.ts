/**
 * The core/v1 Secret as the host controller reads it, and the one way its
 * values are decoded. The API server returns `data` base64-encoded
 * (`stringData` is write-only), so nothing here looks at `stringData`.
 */
import type { KubeObject, ObjectMeta } from "../runtime/index.js";

export interface Secret extends KubeObject {
  metadata?: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** The decoded value of `key`, or undefined when the key is absent. */
export function secretValue(secret: Secret | undefined, key: string): string | undefined {
  const raw = secret?.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, "base64").toString("utf8");
}

/** `namespace/name` of a Secret referenced from an object in `defaultNamespace`. */
export function secretKey(defaultNamespace: string, ref: { readonly name?: string; readonly namespace?: string } | string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  const name = typeof ref === "string" ? ref : ref.name;
  if (name === undefined || name === "") return undefined;
  const ns = typeof ref === "string" ? defaultNamespace : ref.namespace || defaultNamespace;
  return `${ns}/${name}`;
}
