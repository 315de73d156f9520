/**
 * AnvilCluster: the InfraCluster of CAPI's v1beta2 contract (book:
 * developer/providers/contracts/infra-cluster). Bare metal has no load
 * balancer to create, so the endpoint is given, and provisioning means
 * "the endpoint is known".
 */
import { arr, describe, obj, type Infer } from "../schema/builder.js";
import { defineKind, type Resource } from "../schema/crd.js";
import { conditionsSchema } from "../common/condition.js";
import {
  ageColumn,
  apiEndpointSchema,
  clusterColumn,
  failureDomainSchema,
  initializationSchema,
  readyColumn,
} from "./common.js";
import { CRD_LABELS, INFRASTRUCTURE_GROUP, INFRASTRUCTURE_VERSION } from "./labels.js";

export const anvilClusterSpecSchema = obj("The desired state of the cluster's infrastructure.", {
  controlPlaneEndpoint: describe(
    apiEndpointSchema,
    "The workload cluster's API endpoint (a VIP or load balancer in front of the control plane hosts).",
  ),
});
export type AnvilClusterSpec = Infer<typeof anvilClusterSpecSchema>;

export const anvilClusterStatusSchema = obj("The observed state of the cluster's infrastructure.", {
  initialization: initializationSchema,
  failureDomains: arr("Failure domains machines can be spread over.", failureDomainSchema, {
    listType: "map",
    listMapKeys: ["name"],
    maxItems: 100,
  }),
  conditions: conditionsSchema("The cluster's conditions; Ready summarises them."),
});
export type AnvilClusterStatus = Infer<typeof anvilClusterStatusSchema>;

export const AnvilClusterKind = defineKind({
  group: INFRASTRUCTURE_GROUP,
  version: INFRASTRUCTURE_VERSION,
  kind: "AnvilCluster",
  plural: "anvilclusters",
  singular: "anvilcluster",
  categories: ["cluster-api"],
  description: "The bare-metal infrastructure of a Cluster API cluster.",
  spec: anvilClusterSpecSchema,
  status: anvilClusterStatusSchema,
  labels: CRD_LABELS,
  printerColumns: [
    clusterColumn,
    {
      name: "Provisioned",
      type: "boolean",
      jsonPath: ".status.initialization.provisioned",
      description: "Whether the infrastructure is provisioned",
    },
    readyColumn,
    {
      name: "Endpoint",
      type: "string",
      jsonPath: ".spec.controlPlaneEndpoint.host",
      description: "The control plane endpoint's host",
    },
    ageColumn,
  ],
});

export type AnvilCluster = Resource<"AnvilCluster", AnvilClusterSpec, AnvilClusterStatus>;
