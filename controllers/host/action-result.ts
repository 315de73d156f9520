/**
 * What one run of a state handler asks for. The shape follows
 * baremetal-operator's actionResult family, but as data: reconcileHost, not
 * the handler, decides how each outcome touches status, requeue and events.
 */
import type { ErrorType, ProvisioningState } from "../../api/index.js";

export type ActionResult =
  /** Nothing changed; look again after `afterMs` (waiting on power or the agent). */
  | { readonly kind: "continue"; readonly afterMs?: number }
  /** The handler changed the status draft and wants it written; look again soon. */
  | { readonly kind: "update"; readonly afterMs?: number }
  /** The state's work is done: move to `next`. */
  | { readonly kind: "complete"; readonly next: ProvisioningState }
  /** The work failed; the host stays in its state with operationalStatus `error`. */
  | { readonly kind: "failed"; readonly errorType: ErrorType; readonly message: string }
  /** The host may be deleted: drop the finalizer. */
  | { readonly kind: "delete-complete" };

export const cont = (afterMs?: number): ActionResult =>
  afterMs === undefined ? { kind: "continue" } : { kind: "continue", afterMs };
export const update = (afterMs?: number): ActionResult =>
  afterMs === undefined ? { kind: "update" } : { kind: "update", afterMs };
export const complete = (next: ProvisioningState): ActionResult => ({ kind: "complete", next });
export const failed = (errorType: ErrorType, message: string): ActionResult => ({ kind: "failed", errorType, message });
