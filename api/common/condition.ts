/**
 * metav1.Condition, the condition shape CAPI's v1beta2 contract requires
 * (`status.conditions`), with the API server's own limits on each field.
 */
import { arr, dateTime, enumOf, int, obj, str, type Infer } from "../schema/builder.js";

export const conditionSchema = obj(
  "One aspect of the object's current state.",
  {
    type: str("Type of condition in CamelCase or in foo.example.com/CamelCase.", {
      maxLength: 316,
      pattern:
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: enumOf("Status of the condition: True, False or Unknown.", ["True", "False", "Unknown"]),
    observedGeneration: int("The .metadata.generation the condition was set from.", { format: "int64", minimum: 0 }),
    lastTransitionTime: dateTime("When the condition last changed from one status to another."),
    reason: str("A programmatic CamelCase identifier for the last transition.", {
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    }),
    message: str("A human-readable message about the transition; may be empty.", { maxLength: 32768 }),
  },
  { required: ["type", "status", "lastTransitionTime", "reason", "message"] },
);
export type Condition = Infer<typeof conditionSchema>;

/** A list of conditions keyed by type, as CAPI and Metal3 declare it. */
export function conditionsSchema(description: string) {
  return arr(description, conditionSchema, { listType: "map", listMapKeys: ["type"], maxItems: 32 });
}
