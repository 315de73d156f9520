/**
 * metav1.LabelSelector → the `labelSelector` query string the API server
 * evaluates (k8s.io/apimachinery labels selector syntax: `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`, ANDed with commas). Selecting on the server
 * instead of in memory is what lets a namespace of thousands of hosts be
 * searched without a page cap (CAPM3 #2916 stopped at 200).
 */
import type { LabelSelector } from "../../api/index.js";

export function selectorQuery(sel: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {}).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(",");
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${e.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(",");
}

/**
 * The same selector evaluated in memory, with the API server's semantics
 * (NotIn and DoesNotExist match a missing key). Used only to decide which
 * waiting machines a freed host may interest; the claim itself always asks
 * the API server.
 */
export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, sel: LabelSelector | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel?.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const value = l[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === "In" ? has && value !== undefined && values.includes(value)
      : e.operator === "NotIn" ? !has || value === undefined || !values.includes(value)
      : e.operator === "Exists" ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}
