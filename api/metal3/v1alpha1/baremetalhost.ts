/**
 * `metal3.io/v1alpha1` BareMetalHost: one physical server, its BMC, its boot
 * NIC and the image it should run. Field names, enums, required fields and
 * printer columns are Metal3's (baremetal-operator
 * config/base/crds/bases/metal3.io_baremetalhosts.yaml), so existing inventory
 * manifests apply unchanged; Anvil only tightens shapes Metal3's webhook
 * checks anyway (MAC anchoring, image URL and checksum, non-empty BMC address).
 */
import {
  arr,
  bool,
  dateTime,
  describe,
  enumOf,
  int,
  nullable,
  obj,
  str,
  type Infer,
} from "../../schema/builder.js";
import { defineKind, type Resource } from "../../schema/crd.js";
import { PROVIDER_LABELS } from "../../common/provider.js";
import { conditionsSchema } from "../../common/condition.js";
import { objectReferenceSchema, secretReferenceSchema } from "../../common/references.js";
import {
  AUTOMATED_CLEANING_MODES,
  BOOT_MODES,
  ERROR_TYPES,
  INSPECTION_MODES,
  METAL3_GROUP,
  METAL3_VERSION,
  OPERATIONAL_STATUSES,
} from "./constants.js";
import { hardwareDetailsSchema, MAC_PATTERN } from "./hardware.js";
import { bareMetalHostImageSchema, imageSchema } from "./image.js";
import { customDeploySchema, firmwareConfigSchema, raidConfigSchema } from "./raid.js";
import { rootDeviceHintsSchema } from "./root-device-hints.js";

export const bmcDetailsSchema = obj(
  "How to reach the host's BMC (baseboard management controller).",
  {
    address: str(
      "URL of the BMC; its scheme picks the driver: ipmi://, redfish://, redfish+http(s)://, redfish-virtualmedia://, idrac-redfish:// ... A bare host:port means IPMI.",
      { minLength: 1, pattern: "^\\S+$" },
    ),
    credentialsName: str('Name of the Secret, in the host\'s namespace, holding the keys "username" and "password".', {
      minLength: 1,
    }),
    disableCertificateVerification: bool(
      "Skip TLS verification of the BMC's certificate. Needed for self-signed certificates, and insecure.",
    ),
  },
  { required: ["address", "credentialsName"] },
);
export type BMCDetails = Infer<typeof bmcDetailsSchema>;

const taintSchema = obj(
  "A taint for the Machine that uses this host.",
  {
    key: str("The taint key."),
    value: str("The taint value."),
    effect: str("The effect: NoSchedule, PreferNoSchedule or NoExecute."),
    timeAdded: dateTime("When the taint was added."),
  },
  { required: ["effect", "key"] },
);

const automatedCleaningMode = (description: string) =>
  enumOf(description, AUTOMATED_CLEANING_MODES, { default: "metadata" });

export const bareMetalHostSpecSchema = obj(
  "The desired state of the host.",
  {
    taints: arr("Deprecated and never implemented by Metal3: taints for the Machine using this host.", taintSchema),
    bmc: bmcDetailsSchema,
    raid: raidConfigSchema,
    firmware: firmwareConfigSchema,
    hardwareProfile: str('Deprecated name of a hardware profile; "empty" opts out of profiles.'),
    rootDeviceHints: rootDeviceHintsSchema,
    bootMode: enumOf("How the firmware boots: UEFI (the default), UEFISecureBoot, or legacy BIOS.", BOOT_MODES),
    bootMACAddress: str("MAC address of the NIC that network-boots the host; never the BMC's own MAC.", {
      pattern: MAC_PATTERN,
    }),
    online: bool("Whether the host should be powered on; enforced while the host is in a stable state."),
    consumerRef: describe(
      objectReferenceSchema,
      "The object using this host, e.g. an AnvilMachine; when set the host is in use.",
    ),
    image: bareMetalHostImageSchema,
    userData: describe(secretReferenceSchema, "Secret with user data for the config drive (e.g. cloud-init)."),
    preprovisioningNetworkDataName: str(
      "Name of a Secret in this namespace with network data for the deploy ramdisk, and for the config drive unless networkData is set.",
    ),
    networkData: describe(secretReferenceSchema, "Secret with network data for the config drive."),
    metaData: describe(secretReferenceSchema, "Secret with meta-data for the config drive; generated when unset."),
    description: str("Human-entered text that helps identify the host."),
    externallyProvisioned: bool(
      "Something else provisioned the host: manage only its power. Set at creation or once the host is available.",
    ),
    automatedCleaningMode: automatedCleaningMode(
      "metadata wipes disk metadata before provisioning and after deprovisioning; disabled skips cleaning.",
    ),
    customDeploy: customDeploySchema,
    architecture: str('CPU architecture of the host, e.g. "x86_64" or "aarch64"; filled by inspection when unset.'),
    disablePowerOff: bool("Never power the host off; reboot instead of power cycling."),
    inspectionMode: enumOf(
      "disabled skips inspection; agent boots the ramdisk to inspect; fast asks the BMC (Redfish) only.",
      INSPECTION_MODES,
    ),
  },
  { required: ["online"] },
);
export type BareMetalHostSpec = Infer<typeof bareMetalHostSpecSchema>;

const operationMetricSchema = (description: string) =>
  obj(description, {
    start: nullable(dateTime("When the operation started.")),
    end: nullable(dateTime("When the operation ended.")),
  });

const credentialsStatusSchema = (description: string) =>
  obj(description, {
    credentials: describe(secretReferenceSchema, "The credentials Secret."),
    credentialsVersion: str("The Secret's resourceVersion at that time."),
  });

export const provisionStatusSchema = obj(
  "What the provisioner is doing with the host, and what it last applied.",
  {
    state: str("The provisioning state, e.g. registering, available, provisioned."),
    ID: str("The host's ID in the provisioner."),
    image: imageSchema("The image last provisioned to the host.", { strict: false }),
    rootDeviceHints: describe(rootDeviceHintsSchema, "The root device hints used to provision the host."),
    bootMode: enumOf("The boot mode used to provision the host.", BOOT_MODES),
    raid: describe(raidConfigSchema, "The RAID configuration that has been applied."),
    firmware: describe(firmwareConfigSchema, "Deprecated: the firmware settings applied; always empty."),
    customDeploy: describe(customDeploySchema, "The custom deploy procedure applied to the host."),
  },
  { required: ["ID", "state"] },
);
export type ProvisionStatus = Infer<typeof provisionStatusSchema>;

export const bareMetalHostStatusSchema = obj(
  "The observed state of the host.",
  {
    operationalStatus: enumOf("The host's operational status.", OPERATIONAL_STATUSES),
    errorType: enumOf("The class of the last failure, when operationalStatus is error.", ERROR_TYPES),
    lastUpdated: dateTime("When this status was last observed."),
    hardwareProfile: str("Deprecated: the hardware profile matching the hardware details."),
    hardware: describe(hardwareDetailsSchema, "The hardware found by inspection; also in the HardwareData object."),
    provisioning: provisionStatusSchema,
    goodCredentials: credentialsStatusSchema("The last credentials that worked."),
    triedCredentials: credentialsStatusSchema("The last credentials tried."),
    errorMessage: str("The last error message; empty when there is none."),
    poweredOn: bool("The last observed power state; briefly stale while an operation runs."),
    operationHistory: obj("When each phase of the host's life last ran.", {
      register: operationMetricSchema("Registration."),
      inspect: operationMetricSchema("Inspection."),
      provision: operationMetricSchema("Provisioning."),
      deprovision: operationMetricSchema("Deprovisioning."),
    }),
    errorCount: int("Errors since the last successful operation.", { default: 0 }),
    provisioningFailCount: int("Consecutive failed provisionings of the current image.", { default: 0 }),
    conditions: conditionsSchema("The host's conditions."),
  },
  { required: ["errorCount", "errorMessage", "operationalStatus", "poweredOn", "provisioning"] },
);
export type BareMetalHostStatus = Infer<typeof bareMetalHostStatusSchema>;

export const BareMetalHostKind = defineKind({
  group: METAL3_GROUP,
  version: METAL3_VERSION,
  kind: "BareMetalHost",
  plural: "baremetalhosts",
  singular: "baremetalhost",
  shortNames: ["bmh", "bmhost"],
  categories: ["metal3"],
  /** Anvil's release ships this CRD; no CAPI contract applies to it. */
  // No clusterctl move-hierarchy label (ADR 0019): a claimed host moves in its
  // Cluster's graph, owned by its AnvilMachine, paused with its status saved;
  // a free host, which nothing pauses, stays with the source's inventory.
  labels: { ...PROVIDER_LABELS },
  description: "A physical server: its BMC, boot NIC, power and the image it runs.",
  spec: bareMetalHostSpecSchema,
  status: bareMetalHostStatusSchema,
  printerColumns: [
    { name: "Status", type: "string", jsonPath: ".status.operationalStatus", description: "Operational status", priority: 1 },
    { name: "State", type: "string", jsonPath: ".status.provisioning.state", description: "Provisioning status" },
    { name: "Consumer", type: "string", jsonPath: ".spec.consumerRef.name", description: "Consumer using this host" },
    { name: "BMC", type: "string", jsonPath: ".spec.bmc.address", description: "Address of management controller", priority: 1 },
    { name: "Online", type: "string", jsonPath: ".spec.online", description: "Whether the host is online or not" },
    { name: "Error", type: "string", jsonPath: ".status.errorType", description: "Type of the most recent error" },
    {
      name: "Age",
      type: "date",
      jsonPath: ".metadata.creationTimestamp",
      description: "Time duration since creation of BaremetalHost",
    },
  ],
});

export type BareMetalHost = Resource<"BareMetalHost", BareMetalHostSpec, BareMetalHostStatus>;
