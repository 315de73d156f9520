/**
 * The subset of Kubernetes' structural OpenAPI v3 schema
 * (apiextensions.k8s.io/v1 `JSONSchemaProps`) that Anvil's CRDs use.
 * Field names follow the API server's spelling so a value of this type can be
 * written into a CRD unchanged.
 */
export interface ValidationRule {
  /** A CEL expression over `self` (and `oldSelf` for transition rules). */
  readonly rule: string;
  /** Shown to the client when the rule fails. */
  readonly message: string;
  /** Narrows the error's field path below the schema node, e.g. `.checksum`. */
  readonly fieldPath?: string;
  readonly reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
}

export interface JSONSchemaProps {
  description?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  format?: string;
  enum?: readonly (string | number | boolean | null)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  default?: unknown;
  properties?: Record<string, JSONSchemaProps>;
  required?: readonly string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: readonly string[];
  "x-kubernetes-validations"?: readonly ValidationRule[];
}
