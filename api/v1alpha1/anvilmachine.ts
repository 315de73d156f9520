/**
 * AnvilMachine: the InfraMachine of CAPI's v1beta2 contract (book:
 * developer/providers/contracts/infra-machine). It claims one BareMetalHost
 * chosen by `hostSelector`, provisions `image` on it with the Machine's
 * bootstrap data, and reports `providerID`, addresses and
 * `status.initialization.provisioned`.
 */
import { arr, describe, enumOf, obj, str, type Infer } from "../schema/builder.js";
import { defineKind, type Resource } from "../schema/crd.js";
import { conditionsSchema } from "../common/condition.js";
import { labelSelectorSchema } from "../common/label-selector.js";
import { secretReferenceSchema } from "../common/references.js";
import { AUTOMATED_CLEANING_MODES } from "../metal3/v1alpha1/constants.js";
import { imageSchema } from "../metal3/v1alpha1/image.js";
import { ageColumn, clusterColumn, initializationSchema, machineAddressSchema, readyColumn } from "./common.js";
import { CRD_LABELS, INFRASTRUCTURE_GROUP, INFRASTRUCTURE_VERSION, PROVIDER_ID_PATTERN } from "./labels.js";

export const anvilMachineSpecSchema = obj(
  "The desired state of the machine.",
  {
    providerID: str("anvil://<namespace>/<host>/<machine>; set by Anvil when it claims a host (the host's meta-data carries it), then fixed.", {
      pattern: PROVIDER_ID_PATTERN,
      validations: [{ rule: "self == oldSelf", message: "providerID cannot change once set" }],
    }),
    failureDomain: str("The failure domain to place the machine in; hosts labelled with it are preferred.", {
      maxLength: 256,
    }),
    image: imageSchema("The image to write to the claimed host."),
    hostSelector: describe(
      labelSelectorSchema,
      "Which BareMetalHosts (in the machine's namespace) may be claimed; empty matches any available host.",
    ),
    automatedCleaningMode: enumOf(
      "Copied to the claimed host: metadata wipes disk metadata around provisioning, disabled skips it. Unset keeps the host's own setting.",
      AUTOMATED_CLEANING_MODES,
    ),
    userData: describe(
      secretReferenceSchema,
      "A Secret with user data to use instead of the Machine's bootstrap data Secret.",
    ),
    metaData: describe(
      secretReferenceSchema,
      "A Secret (key metaData) with meta-data for the config drive; Anvil generates uuid, providerid and hostnames when unset.",
    ),
    networkData: describe(secretReferenceSchema, "A Secret (key networkData) with network data for the config drive."),
  },
  { required: ["image"] },
);
export type AnvilMachineSpec = Infer<typeof anvilMachineSpecSchema>;

export const anvilMachineStatusSchema = obj("The observed state of the machine.", {
  initialization: initializationSchema,
  addresses: arr("The host's addresses, copied by CAPI to the Machine.", machineAddressSchema, { maxItems: 64 }),
  failureDomain: str("The failure domain the claimed host is in.", { maxLength: 256 }),
  hostRef: obj(
    "The BareMetalHost this machine claimed.",
    {
      name: str("The host's name."),
      namespace: str("The host's namespace (the machine's own)."),
    },
    { required: ["name"] },
  ),
  conditions: conditionsSchema("The machine's conditions; Ready is mirrored into the Machine's InfrastructureReady."),
});
export type AnvilMachineStatus = Infer<typeof anvilMachineStatusSchema>;

export const AnvilMachineKind = defineKind({
  group: INFRASTRUCTURE_GROUP,
  version: INFRASTRUCTURE_VERSION,
  kind: "AnvilMachine",
  plural: "anvilmachines",
  singular: "anvilmachine",
  categories: ["cluster-api"],
  description: "A Cluster API machine backed by a BareMetalHost.",
  spec: anvilMachineSpecSchema,
  status: anvilMachineStatusSchema,
  labels: CRD_LABELS,
  printerColumns: [
    clusterColumn,
    { name: "Host", type: "string", jsonPath: ".status.hostRef.name", description: "The claimed BareMetalHost" },
    {
      name: "Provisioned",
      type: "boolean",
      jsonPath: ".status.initialization.provisioned",
      description: "Whether the host is provisioned",
    },
    readyColumn,
    { name: "ProviderID", type: "string", jsonPath: ".spec.providerID", description: "The machine's provider ID" },
    ageColumn,
  ],
});

export type AnvilMachine = Resource<"AnvilMachine", AnvilMachineSpec, AnvilMachineStatus>;
