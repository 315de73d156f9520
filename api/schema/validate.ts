/**
 * Checks a value against a structural schema the way the API server's
 * OpenAPI validation does, minus CEL: type, required, enum, pattern, lengths,
 * bounds, item counts, date-time, and unknown fields (which `kubectl apply`
 * refuses by default since field validation became Strict). Paths are
 * written as the API server writes them (`spec.bmc.address`,
 * `spec.taints[0].key`) so a test can compare both.
 *
 * CEL rules (`x-kubernetes-validations`) are not evaluated here; the API
 * server evaluates them and e2e/crds.test.ts proves each one.
 */
import type { JSONSchemaProps } from "./json-schema.js";

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/** RFC 3339 §5.6 date-time, which is what metav1.Time writes. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const INT_RANGE: Record<string, readonly [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(expected: NonNullable<JSONSchemaProps["type"]>, actual: string): boolean {
  return expected === actual || (expected === "number" && actual === "integer");
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

export function validate(schema: JSONSchemaProps, value: unknown, path = ""): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (message: string, at = path): void => void errors.push({ path: at, message });

  if (value === null) {
    if (schema.nullable !== true) fail("Invalid value: null: must not be null");
    return errors;
  }
  const actual = typeOf(value);
  if (schema.type !== undefined && !typeMatches(schema.type, actual)) {
    fail(`Invalid value: "${actual}": ${path} in body must be of type ${schema.type}`);
    return errors;
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string | number | boolean)) {
    fail(`Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
  }

  if (typeof value === "string") {
    const len = [...value].length;
    if (schema.minLength !== undefined && len < schema.minLength)
      fail(`Invalid value: ${JSON.stringify(value)}: should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && len > schema.maxLength)
      fail(`Too long: may not be more than ${schema.maxLength} bytes`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
      fail(`Invalid value: ${JSON.stringify(value)}: ${path} in body should match '${schema.pattern}'`);
    if (schema.format === "date-time" && !DATE_TIME.test(value))
      fail(`Invalid value: ${JSON.stringify(value)}: ${path} in body must be of type date-time`);
  }

  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      fail(`Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      fail(`Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}`);
    const range = schema.format !== undefined ? INT_RANGE[schema.format] : undefined;
    if (range && (value < range[0] || value > range[1])) fail(`Invalid value: ${value}: out of ${schema.format} range`);
  }

  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      fail(`Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      fail(`Too many: ${value.length}: must have at most ${schema.maxItems} items`);
    if (schema.items) {
      const items = schema.items;
      value.forEach((item, i) => errors.push(...validate(items, item, `${path}[${i}]`)));
    }
    errors.push(...duplicates(schema, value, path));
  }

  if (actual === "object") errors.push(...validateObject(schema, value as Record<string, unknown>, path));
  return errors;
}

/** `x-kubernetes-list-type: map` items must differ in their keys; `set` items must differ. */
function duplicates(schema: JSONSchemaProps, list: unknown[], path: string): FieldError[] {
  const type = schema["x-kubernetes-list-type"];
  if (type !== "map" && type !== "set") return [];
  const keys = schema["x-kubernetes-list-map-keys"] ?? [];
  const identity = (item: unknown): string =>
    type === "set" ? JSON.stringify(item) : JSON.stringify(keys.map((k) => (item as Record<string, unknown>)[k]));
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  list.forEach((item, i) => {
    const id = identity(item);
    if (seen.has(id)) errors.push({ path: `${path}[${i}]`, message: `Duplicate value: ${id}` });
    seen.add(id);
  });
  return errors;
}

function validateObject(schema: JSONSchemaProps, value: Record<string, unknown>, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const props = schema.properties;
  for (const key of schema.required ?? []) {
    if (value[key] === undefined || (value[key] === null && props?.[key]?.nullable !== true)) {
      errors.push({ path: join(path, key), message: "Required value" });
    }
  }
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const child = props?.[key] ?? schema.additionalProperties;
    if (child) {
      // The API server prunes nulls from fields that are not nullable before it validates.
      if (v === null && child.nullable !== true) continue;
      errors.push(...validate(child, v, join(path, key)));
    } else if (props !== undefined && schema["x-kubernetes-preserve-unknown-fields"] !== true) {
      errors.push({ path: join(path, key), message: `unknown field "${join(path, key)}"` });
    }
  }
  return errors;
}

