/**
 * Metal3's `metal3.io/v1alpha1` string constants, spelled exactly as
 * baremetal-operator writes them (apis/metal3.io/v1alpha1/baremetalhost_types.go),
 * so tools written for Metal3 read Anvil's hosts without translation.
 */

export const METAL3_GROUP = "metal3.io";
export const METAL3_VERSION = "v1alpha1";

/** `status.provisioning.state`: what the provisioner is doing with the host. */
export const ProvisioningState = {
  None: "",
  Unmanaged: "unmanaged",
  Registering: "registering",
  /** Kept for old objects: profile matching now happens during registration. */
  MatchProfile: "match profile",
  Preparing: "preparing",
  /** Deprecated name for `available`; hosts written by old operators may still carry it. */
  Ready: "ready",
  Available: "available",
  Provisioning: "provisioning",
  Provisioned: "provisioned",
  ExternallyProvisioned: "externally provisioned",
  Deprovisioning: "deprovisioning",
  Inspecting: "inspecting",
  PoweringOffBeforeDelete: "powering off before delete",
  Deleting: "deleting",
} as const;
export type ProvisioningState = (typeof ProvisioningState)[keyof typeof ProvisioningState];
export const PROVISIONING_STATES: readonly ProvisioningState[] = Object.values(ProvisioningState);

/** `status.operationalStatus`. */
export const OperationalStatus = {
  None: "",
  OK: "OK",
  Discovered: "discovered",
  Error: "error",
  /** Provisioning waits for a free slot under the concurrency limit. */
  Delayed: "delayed",
  Detached: "detached",
  Servicing: "servicing",
} as const;
export type OperationalStatus = (typeof OperationalStatus)[keyof typeof OperationalStatus];
export const OPERATIONAL_STATUSES = [
  OperationalStatus.None,
  OperationalStatus.OK,
  OperationalStatus.Discovered,
  OperationalStatus.Error,
  OperationalStatus.Delayed,
  OperationalStatus.Detached,
  OperationalStatus.Servicing,
] as const;

/** `status.errorType`: the class of the problem when operationalStatus is `error`. */
export const ErrorType = {
  ProvisionedRegistration: "provisioned registration error",
  Registration: "registration error",
  Inspection: "inspection error",
  Preparation: "preparation error",
  Provisioning: "provisioning error",
  PowerManagement: "power management error",
  Detach: "detach error",
  Servicing: "servicing error",
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];
export const ERROR_TYPES = [
  ErrorType.ProvisionedRegistration,
  ErrorType.Registration,
  ErrorType.Inspection,
  ErrorType.Preparation,
  ErrorType.Provisioning,
  ErrorType.PowerManagement,
  ErrorType.Detach,
  ErrorType.Servicing,
] as const;

export const BOOT_MODES = ["UEFI", "UEFISecureBoot", "legacy"] as const;
export type BootMode = (typeof BOOT_MODES)[number];
/** Metal3 boots UEFI when `spec.bootMode` is empty. */
export const DEFAULT_BOOT_MODE: BootMode = "UEFI";

export const CHECKSUM_TYPES = ["md5", "sha256", "sha512", "auto"] as const;
export type ChecksumType = (typeof CHECKSUM_TYPES)[number];

export const IMAGE_FORMATS = ["raw", "qcow2", "vdi", "vmdk", "live-iso"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const AUTOMATED_CLEANING_MODES = ["metadata", "disabled"] as const;
export type AutomatedCleaningMode = (typeof AUTOMATED_CLEANING_MODES)[number];

export const INSPECTION_MODES = ["disabled", "agent", "fast"] as const;
export type InspectionMode = (typeof INSPECTION_MODES)[number];

/** Annotation keys and values on a BareMetalHost. */
export const HostAnnotation = {
  /** Any value stops reconciliation; CAPM3 writes `metal3.io/capm3` when its Cluster is paused. */
  Paused: "baremetalhost.metal3.io/paused",
  /** Stops provisioner management without deprovisioning; value is JSON {deleteAction, force}. */
  Detached: "baremetalhost.metal3.io/detached",
  /** A JSON copy of `status`, to rebuild status after a pivot or `clusterctl move`. */
  Status: "baremetalhost.metal3.io/status",
  /** `reboot.metal3.io` or `reboot.metal3.io/<key>`; value `{"mode":"hard"|"soft"}` or empty. */
  RebootPrefix: "reboot.metal3.io",
  /** `inspect.metal3.io` re-inspects an available host; the value `disabled` skips inspection. */
  Inspect: "inspect.metal3.io",
  /** JSON hardware details supplied instead of inspecting. */
  HardwareDetails: "inspect.metal3.io/hardwaredetails",
} as const;
export const INSPECT_DISABLED = "disabled";
/** The value CAPM3 writes into the paused annotation. */
export const PAUSED_BY_CAPM3 = "metal3.io/capm3";

export const REBOOT_MODES = ["hard", "soft"] as const;
export type RebootMode = (typeof REBOOT_MODES)[number];

export const DETACHED_DELETE_ACTIONS = ["delay", "delete"] as const;
export type DetachedDeleteAction = (typeof DETACHED_DELETE_ACTIONS)[number];

/** The finalizer that holds a host's deletion until it is deprovisioned. */
export const BAREMETALHOST_FINALIZER = "baremetalhost.metal3.io";

/** Keys of the BMC credentials Secret named by `spec.bmc.credentialsName`. */
export const BMC_SECRET_KEYS = { username: "username", password: "password" } as const;

/** Condition types newer Metal3 releases set on a host. */
export const HostCondition = {
  Manageable: "Manageable",
  Provisioned: "Provisioned",
  Ready: "Ready",
  AvailableForProvisioning: "AvailableForProvisioning",
  Progressing: "Progressing",
  Healthy: "Healthy",
} as const;
