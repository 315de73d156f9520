/**
 * Turns one kind's spec and status schemas into its CustomResourceDefinition
 * (apiextensions.k8s.io/v1). The kind's TypeScript type comes from the same
 * schemas, so the manifest and the code cannot drift apart.
 */
import type { Schema } from "./builder.js";
import type { JSONSchemaProps } from "./json-schema.js";
import type { ObjectMeta } from "../common/meta.js";

/** A `kubectl get` column (CRD `additionalPrinterColumns`). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly jsonPath: string;
  readonly description: string;
  /** 0 shows by default; 1 shows only with `-o wide`. */
  readonly priority?: 0 | 1;
}

export interface KindDefinition<Spec, Status> {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly description: string;
  readonly spec: Schema<Spec>;
  readonly status?: Schema<Status>;
  readonly printerColumns: readonly PrinterColumn[];
  /** Labels on the CRD object itself, e.g. the CAPI contract label. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope: "Namespaced";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

/** An object of a kind as the API server returns it. */
export interface Resource<Kind extends string, Spec, Status> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface DefinedKind<Spec, Status> {
  readonly definition: KindDefinition<Spec, Status>;
  readonly apiVersion: string;
  /** `<plural>.<group>`, the name CAPI's contract.CalculateCRDName expects. */
  readonly crdName: string;
  readonly crd: CustomResourceDefinition;
}

const API_VERSION_DESCRIPTION =
  "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.";
const KIND_DESCRIPTION =
  "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.";

export function defineKind<Spec, Status>(def: KindDefinition<Spec, Status>): DefinedKind<Spec, Status> {
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: { description: API_VERSION_DESCRIPTION, type: "string" },
    kind: { description: KIND_DESCRIPTION, type: "string" },
    metadata: { type: "object" },
    spec: def.spec.json,
  };
  if (def.status) properties.status = def.status.json;
  const crdName = `${def.plural}.${def.group}`;
  const crd: CustomResourceDefinition = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: crdName, ...(def.labels ? { labels: { ...def.labels } } : {}) },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: [...def.shortNames] } : {}),
        ...(def.categories ? { categories: [...def.categories] } : {}),
      },
      scope: "Namespaced",
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { description: def.description, type: "object", properties } },
          ...(def.status ? { subresources: { status: {} } } : {}),
          ...(def.printerColumns.length > 0 ? { additionalPrinterColumns: [...def.printerColumns] } : {}),
        },
      ],
    },
  };
  return { definition: def, apiVersion: `${def.group}/${def.version}`, crdName, crd };
}
