/**
 * Sets one metav1.Condition on an Anvil object's status, stamped with the
 * generation it describes (CAPI v1beta2 reads observedGeneration to tell a
 * stale condition from a current one).
 */
import { setCondition, type Condition } from "../runtime/index.js";
import type { ObjectMeta } from "../../api/index.js";

interface WithConditions {
  metadata: ObjectMeta;
  status?: { conditions?: readonly object[] };
}

export function setObjectCondition(obj: WithConditions, type: string, ok: boolean, reason: string, message: string, now?: Date): void {
  const status = (obj.status ??= {});
  status.conditions = setCondition(
    status.conditions as Condition[] | undefined,
    { type, status: ok ? "True" : "False", reason, message, ...(obj.metadata.generation !== undefined ? { observedGeneration: obj.metadata.generation } : {}) },
    now,
  );
}
