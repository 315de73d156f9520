/**
 * AnvilClusterTemplate: the InfraClusterTemplate that ClusterClass clones
 * AnvilClusters from (`spec.template.spec` is an AnvilCluster spec).
 */
import { describe, obj, type Infer } from "../schema/builder.js";
import { defineKind, type Resource } from "../schema/crd.js";
import { anvilClusterSpecSchema } from "./anvilcluster.js";
import { ageColumn, templateMetaSchema } from "./common.js";
import { CRD_LABELS, INFRASTRUCTURE_GROUP, INFRASTRUCTURE_VERSION } from "./labels.js";

export const anvilClusterTemplateSpecSchema = obj(
  "The template for AnvilClusters.",
  {
    template: obj(
      "The AnvilCluster to stamp out.",
      {
        metadata: templateMetaSchema,
        spec: describe(anvilClusterSpecSchema, "The spec of the AnvilClusters made from this template."),
      },
      { required: ["spec"] },
    ),
  },
  { required: ["template"] },
);
export type AnvilClusterTemplateSpec = Infer<typeof anvilClusterTemplateSpecSchema>;

export const AnvilClusterTemplateKind = defineKind<AnvilClusterTemplateSpec, never>({
  group: INFRASTRUCTURE_GROUP,
  version: INFRASTRUCTURE_VERSION,
  kind: "AnvilClusterTemplate",
  plural: "anvilclustertemplates",
  singular: "anvilclustertemplate",
  categories: ["cluster-api"],
  description: "A template for AnvilClusters, used by ClusterClass.",
  spec: anvilClusterTemplateSpecSchema,
  labels: CRD_LABELS,
  printerColumns: [ageColumn],
});

export type AnvilClusterTemplate = Resource<"AnvilClusterTemplate", AnvilClusterTemplateSpec, never>;
