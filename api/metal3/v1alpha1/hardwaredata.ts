/**
 * `metal3.io/v1alpha1` HardwareData: the inspection result of the host of the
 * same name and namespace, kept apart from the host so it survives
 * re-registration (baremetal-operator hardwaredata_types.go).
 */
import { describe, obj, type Infer } from "../../schema/builder.js";
import { defineKind, type Resource } from "../../schema/crd.js";
import { PROVIDER_LABELS } from "../../common/provider.js";
import { METAL3_GROUP, METAL3_VERSION } from "./constants.js";
import { hardwareDetailsSchema } from "./hardware.js";

export const hardwareDataSpecSchema = obj("The inspected hardware.", {
  hardware: describe(hardwareDetailsSchema, "The hardware discovered on the host during its inspection."),
});
export type HardwareDataSpec = Infer<typeof hardwareDataSpecSchema>;

export const HardwareDataKind = defineKind<HardwareDataSpec, never>({
  group: METAL3_GROUP,
  version: METAL3_VERSION,
  kind: "HardwareData",
  plural: "hardwaredata",
  singular: "hardwaredata",
  shortNames: ["hd"],
  categories: ["metal3"],
  /** Anvil's release ships this CRD; no CAPI contract applies to it. */
  labels: PROVIDER_LABELS,
  description: "The hardware found by inspecting the BareMetalHost of the same name.",
  spec: hardwareDataSpecSchema,
  printerColumns: [
    {
      name: "Age",
      type: "date",
      jsonPath: ".metadata.creationTimestamp",
      description: "Time duration since creation of HardwareData",
    },
  ],
});

export type HardwareData = Resource<"HardwareData", HardwareDataSpec, never>;
