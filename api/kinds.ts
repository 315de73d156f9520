/**
 * Every kind Anvil serves, in the order the CRD generator writes them.
 */
import type { DefinedKind } from "./schema/crd.js";
import { BareMetalHostKind } from "./metal3/v1alpha1/baremetalhost.js";
import { HardwareDataKind } from "./metal3/v1alpha1/hardwaredata.js";
import { AnvilClusterKind } from "./v1alpha1/anvilcluster.js";
import { AnvilClusterTemplateKind } from "./v1alpha1/anvilclustertemplate.js";
import { AnvilMachineKind } from "./v1alpha1/anvilmachine.js";
import { AnvilMachineTemplateKind } from "./v1alpha1/anvilmachinetemplate.js";

export const ALL_KINDS: readonly DefinedKind<unknown, unknown>[] = [
  BareMetalHostKind,
  HardwareDataKind,
  AnvilClusterKind,
  AnvilClusterTemplateKind,
  AnvilMachineKind,
  AnvilMachineTemplateKind,
];
