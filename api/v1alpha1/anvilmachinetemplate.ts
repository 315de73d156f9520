/**
 * AnvilMachineTemplate: the InfraMachineTemplate that MachineDeployments,
 * KubeadmControlPlane and ClusterClass clone AnvilMachines from.
 */
import { bool, describe, obj, type Infer } from "../schema/builder.js";
import { defineKind, type Resource } from "../schema/crd.js";
import { anvilMachineSpecSchema } from "./anvilmachine.js";
import { ageColumn, templateMetaSchema } from "./common.js";
import { CRD_LABELS, INFRASTRUCTURE_GROUP, INFRASTRUCTURE_VERSION } from "./labels.js";

export const anvilMachineTemplateSpecSchema = obj(
  "The template for AnvilMachines.",
  {
    template: obj(
      "The AnvilMachine to stamp out.",
      {
        metadata: templateMetaSchema,
        spec: describe(anvilMachineSpecSchema, "The spec of the AnvilMachines made from this template."),
      },
      { required: ["spec"] },
    ),
    nodeReuse: bool(
      "Prefer, during a scale-in rollout, the hosts this template's owner just released (CAPM3's node reuse).",
      { default: false },
    ),
  },
  { required: ["template"] },
);
export type AnvilMachineTemplateSpec = Infer<typeof anvilMachineTemplateSpecSchema>;

export const AnvilMachineTemplateKind = defineKind<AnvilMachineTemplateSpec, never>({
  group: INFRASTRUCTURE_GROUP,
  version: INFRASTRUCTURE_VERSION,
  kind: "AnvilMachineTemplate",
  plural: "anvilmachinetemplates",
  singular: "anvilmachinetemplate",
  categories: ["cluster-api"],
  description: "A template for AnvilMachines.",
  spec: anvilMachineTemplateSpecSchema,
  labels: CRD_LABELS,
  printerColumns: [ageColumn],
});

export type AnvilMachineTemplate = Resource<"AnvilMachineTemplate", AnvilMachineTemplateSpec, never>;
