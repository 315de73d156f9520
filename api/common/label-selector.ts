/**
 * metav1.LabelSelector. Anvil hands it to the API server as a list
 * `labelSelector`, so the schema admits exactly what the server can evaluate.
 */
import { arr, enumOf, obj, str, stringMap, type Infer } from "../schema/builder.js";

export const labelSelectorRequirementSchema = obj(
  "A selector requirement: a key, an operator and values.",
  {
    key: str("The label key the selector applies to.", { minLength: 1 }),
    operator: enumOf("How the key relates to the values.", ["In", "NotIn", "Exists", "DoesNotExist"]),
    values: arr("Values for In and NotIn; must be empty for Exists and DoesNotExist.", str("A label value.", { maxLength: 63 }), {
      maxItems: 64,
    }),
  },
  {
    required: ["key", "operator"],
    validations: [
      {
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
        fieldPath: ".values",
      },
    ],
  },
);

export const labelSelectorSchema = obj(
  "A label query over BareMetalHosts; the requirements are ANDed.",
  {
    matchLabels: stringMap("Labels a host must carry with exactly these values."),
    matchExpressions: arr("Label selector requirements.", labelSelectorRequirementSchema, { maxItems: 32 }),
  },
  { mapType: "atomic" },
);
export type LabelSelector = Infer<typeof labelSelectorSchema>;
