/**
 * A BareMetalHost status as the host controller would write it, for the
 * cluster-machine peer tests: they drive host state by hand because the host
 * controller is not part of what they test.
 */
import type { BareMetalHostStatus } from "../../api/index.js";

export const hostStatus = (state: string, extra: Partial<BareMetalHostStatus> = {}): BareMetalHostStatus => ({
  operationalStatus: "OK",
  errorMessage: "",
  errorCount: 0,
  poweredOn: false,
  provisioning: { ID: "", state },
  ...extra,
});
