/**
 * Whether two values serialise to the same JSON document, whatever the order
 * of their object keys. The API server hands objects back with their keys
 * sorted (Go's encoding/json sorts map keys, and custom resources are maps),
 * while code builds them in its own order; comparing `JSON.stringify` output
 * would call a value read back unchanged "changed" and write it again on every
 * reconcile. Keys holding `undefined` are absent, as on the wire.
 */
import { isDeepStrictEqual } from "node:util";

export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(wire(a), wire(b));
}

function wire(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}
