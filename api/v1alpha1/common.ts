/**
 * Schemas shared by Anvil's infrastructure kinds: the CAPI v1beta2 contract
 * shapes (APIEndpoint, MachineAddress, FailureDomain, initialization) and the
 * template metadata.
 */
import { bool, enumOf, int, obj, str, stringMap, type Infer } from "../schema/builder.js";

/** CAPI's APIEndpoint: where the workload cluster's API server listens. */
export const apiEndpointSchema = obj("The endpoint of the workload cluster's control plane.", {
  host: str("DNS name or IP address of the API server.", { minLength: 1, maxLength: 512 }),
  port: int("TCP port of the API server.", { format: "int32", minimum: 1, maximum: 65535 }),
});
export type APIEndpoint = Infer<typeof apiEndpointSchema>;

export const MACHINE_ADDRESS_TYPES = ["Hostname", "ExternalIP", "InternalIP", "ExternalDNS", "InternalDNS"] as const;

export const machineAddressSchema = obj(
  "An address of the machine, as CAPI copies it to the Machine.",
  {
    type: enumOf("The address type.", MACHINE_ADDRESS_TYPES),
    address: str("The address.", { minLength: 1, maxLength: 256 }),
  },
  { required: ["type", "address"] },
);
export type MachineAddress = Infer<typeof machineAddressSchema>;

export const failureDomainSchema = obj(
  "A failure domain machines can be spread over (CAPI v1beta2: a list entry, not a map).",
  {
    name: str("The failure domain's name.", { minLength: 1, maxLength: 256 }),
    controlPlane: bool("Whether control plane machines may be placed in it."),
    attributes: stringMap("Free-form attributes of the failure domain."),
  },
  { required: ["name"] },
);
export type FailureDomain = Infer<typeof failureDomainSchema>;

/** `status.initialization`: CAPI v1beta2 reads `provisioned` instead of v1beta1's `ready`. */
export const initializationSchema = obj("Observations of the object's initial provisioning, read by CAPI.", {
  provisioned: bool("True once the infrastructure is provisioned; never reset afterwards."),
});

/** ObjectMeta of objects a template stamps out: only labels and annotations carry over. */
export const templateMetaSchema = obj("Labels and annotations for the objects made from this template.", {
  labels: stringMap("Labels for the objects made from this template."),
  annotations: stringMap("Annotations for the objects made from this template."),
});
export type TemplateMeta = Infer<typeof templateMetaSchema>;

/** Mirrors a condition's status into a printer column. */
export const readyColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "The Ready condition's status",
} as const;

export const clusterColumn = {
  name: "Cluster",
  type: "string",
  jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",
  description: "The Cluster this object belongs to",
} as const;

export const ageColumn = {
  name: "Age",
  type: "date",
  jsonPath: ".metadata.creationTimestamp",
  description: "Time since creation",
} as const;
