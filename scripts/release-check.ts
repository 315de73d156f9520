/**
 * Invariants of Anvil's clusterctl release artifacts, as pure functions over
 * parsed manifests and template text so that `make release` refuses a bad
 * release and the unit tests can feed them broken fixtures.
 */

export const PROVIDER_LABEL = "cluster.x-k8s.io/provider";
export const PROVIDER_LABEL_VALUE = "infrastructure-anvil";
export const NAMESPACE = "anvil-system";
/** The contract label CAPI reads to pick the served version of a provider kind (contract v1beta2, "CRD labels"). */
export const CONTRACT_LABEL = "cluster.x-k8s.io/v1beta2";
export const INFRA_GROUP = "infrastructure.cluster.x-k8s.io";

/**
 * Variables clusterctl itself sets for `generate cluster` (clusterctl book,
 * "generate cluster": NAMESPACE, CLUSTER_NAME, KUBERNETES_VERSION and the two
 * machine counts), so a template may use them without a default.
 */
export const CLUSTERCTL_VARIABLES: readonly string[] = [
  "CLUSTER_NAME",
  "NAMESPACE",
  "KUBERNETES_VERSION",
  "CONTROL_PLANE_MACHINE_COUNT",
  "WORKER_MACHINE_COUNT",
];

/** Template variables without a default: each must be documented in docs/release.md. */
export const REQUIRED_TEMPLATE_VARIABLES: Readonly<Record<string, string>> = {
  CONTROL_PLANE_ENDPOINT_HOST: "address (VIP or DNS name) of the workload cluster's API server",
  IMAGE_URL: "URL of the OS image the hosts are provisioned with",
  IMAGE_CHECKSUM: "the image's checksum, or the URL of a checksum file",
  SSH_AUTHORIZED_KEY: "public SSH key installed for NODE_USER on every node",
};

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: { apiGroups?: string[]; resources?: string[]; verbs?: string[]; nonResourceURLs?: string[] }[];
  [key: string]: unknown;
}

export interface TemplateVariable {
  readonly name: string;
  /**
   * `undefined` when the variable has no usable default. `${VAR:=}` counts
   * as none: clusterctl's yamlprocessor (simple_processor.go) takes an empty
   * default for "required" and refuses to render without a value.
   */
  readonly defaultValue: string | undefined;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g;

/** Every `${VAR}` and `${VAR:=default}` in a clusterctl template (drone/envsubst syntax). */
export function templateVariables(text: string): TemplateVariable[] {
  const seen = new Map<string, TemplateVariable>();
  for (const m of text.matchAll(VARIABLE)) {
    const name = m[1] ?? "";
    const defaultValue = m[2] === "" ? undefined : m[2];
    const prior = seen.get(name);
    // One occurrence with a default is enough: envsubst assigns it (`:=`).
    if (prior === undefined || (prior.defaultValue === undefined && defaultValue !== undefined)) {
      seen.set(name, { name, defaultValue });
    }
  }
  return [...seen.values()];
}

const describe = (m: Manifest): string => `${m.kind ?? "?"}/${m.metadata?.name ?? "?"}`;

/** Problems of infrastructure-components.yaml; empty when it is a valid release. */
export function checkComponents(docs: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const namespaces = docs.filter((d) => d.kind === "Namespace");
  if (namespaces.length !== 1 || namespaces[0]?.metadata?.name !== NAMESPACE) {
    // clusterctl requires every provider's components to target exactly one namespace (clusterctl provider contract, "Components YAML").
    problems.push(`want exactly one Namespace ${NAMESPACE}, found ${namespaces.map(describe).join(", ") || "none"}`);
  }
  for (const d of docs) {
    if (d.metadata?.labels?.[PROVIDER_LABEL] !== PROVIDER_LABEL_VALUE) {
      problems.push(`${describe(d)} lacks the label ${PROVIDER_LABEL}: ${PROVIDER_LABEL_VALUE}`);
    }
    const ns = d.metadata?.namespace;
    if (ns !== undefined && ns !== NAMESPACE) problems.push(`${describe(d)} is in namespace ${ns}, not ${NAMESPACE}`);
    if (d.kind === "CustomResourceDefinition" && d.spec?.["group"] === INFRA_GROUP && d.metadata?.labels?.[CONTRACT_LABEL] === undefined) {
      problems.push(`${describe(d)} lacks the contract label ${CONTRACT_LABEL}`);
    }
    if (d.kind === "ClusterRole" || d.kind === "Role") {
      for (const [i, rule] of (d.rules ?? []).entries()) {
        for (const field of ["apiGroups", "resources", "verbs", "nonResourceURLs"] as const) {
          if ((rule[field] ?? []).includes("*")) problems.push(`${describe(d)} rule ${i} has "*" in ${field}`);
        }
      }
    }
  }
  const deployments = docs.filter((d) => d.kind === "Deployment");
  if (deployments.length !== 1) problems.push(`want one manager Deployment, found ${deployments.length}`);
  for (const d of deployments) {
    const pod = (d.spec?.["template"] as { spec?: { containers?: { name?: string; image?: string }[] } } | undefined)?.spec;
    for (const c of pod?.containers ?? []) {
      // clusterctl reads images before it substitutes variables (generate provider --describe, image overrides).
      if (c.image === undefined || c.image.includes("${")) problems.push(`${describe(d)} container ${c.name ?? "?"} needs a literal image, not ${c.image ?? "none"}`);
    }
  }
  return problems;
}

/** Problems of a template's variables: each needs a default, clusterctl's value, or an entry in `required`. */
export function checkVariables(text: string, required: Readonly<Record<string, string>>, documentation: string): string[] {
  const problems: string[] = [];
  for (const v of templateVariables(text)) {
    if (v.defaultValue !== undefined || CLUSTERCTL_VARIABLES.includes(v.name)) continue;
    if (required[v.name] === undefined) problems.push(`\${${v.name}} has no default and is not a documented required variable`);
    else if (!documentation.includes(v.name)) problems.push(`\${${v.name}} is required but docs/release.md does not mention it`);
  }
  return problems;
}
