/**
 * Serving a controller's webhooks from a local process, the way Cluster API's
 * own envtest does (internal/test/envtest/webhooks.go): the API server is told
 * to call `https://127.0.0.1:<port><path>` with our CA instead of an in-cluster
 * Service, and every CRD's conversion goes to `/convert` on the same server.
 * Pure functions over parsed manifests, so both the CAPI core manager and
 * Anvil's manager can use them.
 */

/** A parsed Kubernetes object; only the fields these functions touch are typed. */
export type Manifest = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & { name?: string };
};

export interface LocalWebhookTarget {
  /** `https://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** PEM of the CA that signed the webhook server's certificate. */
  readonly caPem: string;
}

/** Thrown for a manifest these functions cannot point at a local server. */
export class LocalWebhookError extends Error {
  readonly code = "LOCAL_WEBHOOK_BAD_MANIFEST";
  constructor(message: string) {
    super(message);
    this.name = "LocalWebhookError";
  }
}

const WEBHOOK_CONFIG_KINDS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

const caBundle = (pem: string): string => Buffer.from(pem, "utf8").toString("base64");

export function isWebhookConfiguration(m: Manifest): boolean {
  return m.apiVersion === "admissionregistration.k8s.io/v1" && WEBHOOK_CONFIG_KINDS.has(m.kind ?? "");
}

/**
 * A copy of a Mutating/ValidatingWebhookConfiguration whose webhooks call the
 * local server. `clientConfig` may hold `url` or `service`, never both
 * (admissionregistration.k8s.io/v1 WebhookClientConfig), so `service` goes and
 * its `path` moves onto the URL. `namePrefix` keeps configurations of several
 * managers apart (CAPI's are all called `mutating-webhook-configuration`).
 */
export function pointWebhookConfigurationAt(m: Manifest, target: LocalWebhookTarget, namePrefix: string): Manifest {
  if (!isWebhookConfiguration(m)) throw new LocalWebhookError(`${m.kind ?? "object"} is not a webhook configuration`);
  const webhooks = m.webhooks;
  if (!Array.isArray(webhooks)) throw new LocalWebhookError(`${m.metadata?.name ?? "?"} has no webhooks list`);
  return {
    ...m,
    metadata: { ...m.metadata, name: `${namePrefix}${m.metadata?.name ?? ""}` },
    webhooks: webhooks.map((w: Record<string, unknown>) => {
      const cc = (w.clientConfig ?? {}) as { service?: { path?: string }; url?: string };
      const p = cc.service?.path ?? (cc.url !== undefined ? new URL(cc.url).pathname : undefined);
      if (p === undefined) throw new LocalWebhookError(`webhook ${String(w.name)} has neither service.path nor url`);
      return { ...w, clientConfig: { url: `${target.baseUrl}${p}`, caBundle: caBundle(target.caPem) } };
    }),
  };
}

/**
 * A copy of a CRD whose conversion is done by the local webhook server at
 * `/convert` (controller-runtime registers conversion there once for every
 * kind). Review versions v1 and v1beta1 as CAPI's envtest sets them.
 */
export function withLocalConversion(crd: Manifest, target: LocalWebhookTarget): Manifest {
  if (crd.kind !== "CustomResourceDefinition") throw new LocalWebhookError(`${crd.kind ?? "object"} is not a CRD`);
  const spec = (crd.spec ?? {}) as Record<string, unknown>;
  return {
    ...crd,
    spec: {
      ...spec,
      conversion: {
        strategy: "Webhook",
        webhook: {
          conversionReviewVersions: ["v1", "v1beta1"],
          clientConfig: { url: `${target.baseUrl}/convert`, caBundle: caBundle(target.caPem) },
        },
      },
    },
  };
}
