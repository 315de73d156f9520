/**
 * A tiny typed builder for structural schemas: each builder returns the JSON
 * schema node the CRD needs and carries, as a phantom type, the TypeScript
 * type of the values it admits, so `Infer<typeof x>` and the CRD can never
 * disagree (docs/adr/0003-api-single-source.md). Every builder takes a
 * description first because `kubectl explain` shows it and a field without
 * one is a field nobody can use.
 */
import type { JSONSchemaProps, ValidationRule } from "./json-schema.js";

declare const phantom: unique symbol;

/** A schema node whose admitted values have type `T`. */
export interface Schema<T> {
  readonly json: JSONSchemaProps;
  /** Never set: only the compiler reads it. */
  readonly [phantom]?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Record<string, Schema<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object type of `props` where exactly the keys in `R` are required. */
export type ObjectOf<P extends Shape, R extends keyof P> = Simplify<
  { -readonly [K in R]: Infer<P[K]> } & { -readonly [K in Exclude<keyof P, R>]?: Infer<P[K]> }
>;

function node<T>(json: JSONSchemaProps): Schema<T> {
  return { json };
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface StringOptions {
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: string;
  readonly default?: string;
  readonly validations?: readonly ValidationRule[];
}

export function str(description: string, opts: StringOptions = {}): Schema<string> {
  return node(
    defined({
      description,
      type: "string" as const,
      format: opts.format,
      pattern: opts.pattern,
      minLength: opts.minLength,
      maxLength: opts.maxLength,
      default: opts.default,
      "x-kubernetes-validations": opts.validations,
    }),
  );
}

/** An RFC 3339 timestamp, as metav1.Time serialises. */
export function dateTime(description: string): Schema<string> {
  return str(description, { format: "date-time" });
}

export function enumOf<const V extends readonly string[]>(
  description: string,
  values: V,
  opts: { readonly default?: V[number] } = {},
): Schema<V[number]> {
  return node(defined({ description, type: "string" as const, enum: values, default: opts.default }));
}

export interface NumberOptions {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly default?: number;
}

export function int(
  description: string,
  opts: NumberOptions & { readonly format?: "int32" | "int64" } = {},
): Schema<number> {
  return node(
    defined({
      description,
      type: "integer" as const,
      format: opts.format,
      minimum: opts.minimum,
      maximum: opts.maximum,
      default: opts.default,
    }),
  );
}

export function num(description: string, opts: NumberOptions & { readonly format?: "double" } = {}): Schema<number> {
  return node(
    defined({
      description,
      type: "number" as const,
      format: opts.format,
      minimum: opts.minimum,
      maximum: opts.maximum,
      default: opts.default,
    }),
  );
}

export function bool(description: string, opts: { readonly default?: boolean } = {}): Schema<boolean> {
  return node(defined({ description, type: "boolean" as const, default: opts.default }));
}

export interface ArrayOptions {
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly listType?: "atomic" | "set" | "map";
  readonly listMapKeys?: readonly string[];
  readonly nullable?: boolean;
}

export function arr<T>(description: string, items: Schema<T>, opts: ArrayOptions = {}): Schema<T[]> {
  return node(
    defined({
      description,
      type: "array" as const,
      items: items.json,
      minItems: opts.minItems,
      maxItems: opts.maxItems,
      nullable: opts.nullable,
      "x-kubernetes-list-type": opts.listType,
      "x-kubernetes-list-map-keys": opts.listMapKeys,
    }),
  );
}

export interface ObjectOptions<R extends string> {
  readonly required?: readonly R[];
  readonly mapType?: "atomic" | "granular";
  readonly validations?: readonly ValidationRule[];
}

export function obj<const P extends Shape, const R extends keyof P & string = never>(
  description: string,
  props: P,
  opts: ObjectOptions<R> = {},
): Schema<ObjectOf<P, R>> {
  const properties = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, s.json]));
  return node(
    defined({
      description,
      type: "object" as const,
      properties,
      required: opts.required && opts.required.length > 0 ? [...opts.required].sort() : undefined,
      "x-kubernetes-map-type": opts.mapType,
      "x-kubernetes-validations": opts.validations,
    }),
  );
}

/** A map from string keys to string values, such as labels. */
export function stringMap(description: string): Schema<Record<string, string>> {
  return node({ description, type: "object", additionalProperties: { type: "string" } });
}

/** The same schema, also admitting `null` (Go's `+nullable`). */
export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return node({ ...s.json, nullable: true });
}

/** The same schema under another description, for a shared type used in several places. */
export function describe<T>(s: Schema<T>, description: string): Schema<T> {
  return node({ ...s.json, description });
}

/** The same schema with extra CEL rules (`x-kubernetes-validations`). */
export function withRules<T>(s: Schema<T>, rules: readonly ValidationRule[]): Schema<T> {
  return node({ ...s.json, "x-kubernetes-validations": [...(s.json["x-kubernetes-validations"] ?? []), ...rules] });
}
