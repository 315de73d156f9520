/**
 * metav1.Condition helpers with the semantics CAPI's v1beta2 contract and
 * `kubectl wait --for=condition` rely on: `lastTransitionTime` changes only
 * when `status` changes, `observedGeneration` records which spec the
 * condition describes, and conditions are kept sorted by type so that status
 * patches are stable (no churn from reordering).
 */
export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, from the documented constants in api/. */
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export type ConditionUpdate = Omit<Condition, "lastTransitionTime">;

/** Returns a new list with `update` applied; `now` is the transition time if the status changes. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === update.type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    prev && prev.status === update.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const next: Condition = { ...update, lastTransitionTime };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list.sort((a, b) => a.type.localeCompare(b.type));
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

/** Whether two lists say the same thing (ignoring transition times), to skip no-op patches. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const key = (c: Condition): string => `${c.type}\u0000${c.status}\u0000${c.reason}\u0000${c.message}\u0000${c.observedGeneration ?? ""}`;
  const ka = (a ?? []).map(key).sort();
  const kb = (b ?? []).map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}
