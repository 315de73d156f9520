/**
 * Anvil's API types, schemas and constants: import from here.
 */
export type { Schema, Infer } from "./schema/builder.js";
export type { JSONSchemaProps, ValidationRule } from "./schema/json-schema.js";
export type { CustomResourceDefinition, DefinedKind, PrinterColumn, Resource } from "./schema/crd.js";
export { validate, type FieldError } from "./schema/validate.js";
export type { ObjectMeta, OwnerReference } from "./common/meta.js";
export type { Condition } from "./common/condition.js";
export type { LabelSelector } from "./common/label-selector.js";
export type { ObjectReference, SecretReference } from "./common/references.js";
export { PROVIDER_LABEL, PROVIDER_LABELS, PROVIDER_NAME } from "./common/provider.js";
export { ALL_KINDS } from "./kinds.js";

export * from "./metal3/v1alpha1/constants.js";
export {
  BareMetalHostKind,
  type BareMetalHost,
  type BareMetalHostSpec,
  type BareMetalHostStatus,
  type BMCDetails,
  type ProvisionStatus,
} from "./metal3/v1alpha1/baremetalhost.js";
export { HardwareDataKind, type HardwareData, type HardwareDataSpec } from "./metal3/v1alpha1/hardwaredata.js";
export { MAC_PATTERN, type HardwareDetails, type NIC, type Storage } from "./metal3/v1alpha1/hardware.js";
export { IMAGE_URL_PATTERN, type Image } from "./metal3/v1alpha1/image.js";
export type { RootDeviceHints } from "./metal3/v1alpha1/root-device-hints.js";
export type { CustomDeploy, FirmwareConfig, RAIDConfig } from "./metal3/v1alpha1/raid.js";

export {
  CapiAnnotation,
  CRD_LABELS,
  Finalizer,
  INFRASTRUCTURE_API_VERSION,
  INFRASTRUCTURE_GROUP,
  INFRASTRUCTURE_VERSION,
  Label,
  PROVIDER_ID_PATTERN,
  providerID,
} from "./v1alpha1/labels.js";
export { ConditionReason, ConditionType } from "./v1alpha1/conditions.js";
export {
  MACHINE_ADDRESS_TYPES,
  type APIEndpoint,
  type FailureDomain,
  type MachineAddress,
  type TemplateMeta,
} from "./v1alpha1/common.js";
export { AnvilClusterKind, type AnvilCluster, type AnvilClusterSpec, type AnvilClusterStatus } from "./v1alpha1/anvilcluster.js";
export {
  AnvilClusterTemplateKind,
  type AnvilClusterTemplate,
  type AnvilClusterTemplateSpec,
} from "./v1alpha1/anvilclustertemplate.js";
export { AnvilMachineKind, type AnvilMachine, type AnvilMachineSpec, type AnvilMachineStatus } from "./v1alpha1/anvilmachine.js";
export {
  AnvilMachineTemplateKind,
  type AnvilMachineTemplate,
  type AnvilMachineTemplateSpec,
} from "./v1alpha1/anvilmachinetemplate.js";
