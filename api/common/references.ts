/**
 * Schemas of Kubernetes' core/v1 reference types, with the same field names
 * and `x-kubernetes-map-type: atomic` that controller-gen emits for them, so
 * Metal3 manifests that carry these references apply unchanged.
 */
import { obj, str, type Infer } from "../schema/builder.js";

/** corev1.ObjectReference. */
export const objectReferenceSchema = obj(
  "A reference to another Kubernetes object.",
  {
    apiVersion: str("API version of the referent."),
    kind: str("Kind of the referent."),
    name: str("Name of the referent."),
    namespace: str("Namespace of the referent."),
    uid: str("UID of the referent."),
    resourceVersion: str("Specific resourceVersion to which this reference is made, if any."),
    fieldPath: str("If referring to a piece of an object instead of an entire object, a JSON/Go field access statement."),
  },
  { mapType: "atomic" },
);
export type ObjectReference = Infer<typeof objectReferenceSchema>;

/** corev1.SecretReference: a Secret by name, in a namespace that defaults to the referrer's. */
export const secretReferenceSchema = obj(
  "A reference to a Secret.",
  {
    name: str("Name of the Secret, unique within its namespace."),
    namespace: str("Namespace of the Secret; empty means the namespace of the object that refers to it."),
  },
  { mapType: "atomic" },
);
export type SecretReference = Infer<typeof secretReferenceSchema>;
