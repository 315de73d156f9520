import { describe, expect, it } from "vitest";
import {
  pointWebhookConfigurationAt,
  withLocalConversion,
  type LocalWebhookTarget,
  type Manifest,
} from "./local-webhooks.js";

const target: LocalWebhookTarget = { baseUrl: "https://127.0.0.1:9443", caPem: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n" };
const caBundle = Buffer.from(target.caPem).toString("base64");

const config = (kind: string, clientConfig: Record<string, unknown>): Manifest => ({
  apiVersion: "admissionregistration.k8s.io/v1",
  kind,
  metadata: { name: "mutating-webhook-configuration" },
  webhooks: [{ name: "default.cluster.cluster.x-k8s.io", clientConfig, sideEffects: "None" }],
});

describe("pointing webhook configurations at a local server", () => {
  it.each([
    {
      from: "a Service reference",
      kind: "MutatingWebhookConfiguration",
      clientConfig: { service: { name: "webhook-service", namespace: "system", path: "/mutate-cluster" } },
      url: "https://127.0.0.1:9443/mutate-cluster",
    },
    {
      from: "a URL elsewhere",
      kind: "ValidatingWebhookConfiguration",
      clientConfig: { url: "https://webhook.example:443/validate-cluster" },
      url: "https://127.0.0.1:9443/validate-cluster",
    },
  ])("rewrites $from into url + caBundle and renames the configuration", ({ kind, clientConfig, url }) => {
    const out = pointWebhookConfigurationAt(config(kind, clientConfig), target, "capi-core-");
    expect(out.metadata?.name).toBe("capi-core-mutating-webhook-configuration");
    expect(out.webhooks).toEqual([{ name: "default.cluster.cluster.x-k8s.io", sideEffects: "None", clientConfig: { url, caBundle } }]);
  });

  it.each([
    { what: "a CRD", m: { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" } },
    { what: "a webhook without service path or url", m: config("MutatingWebhookConfiguration", { service: { name: "s" } }) },
  ])("refuses $what with a stable code", ({ m }) => {
    expect(() => pointWebhookConfigurationAt(m, target, "p-")).toThrow(expect.objectContaining({ code: "LOCAL_WEBHOOK_BAD_MANIFEST" }));
  });
});

describe("routing CRD conversion to a local server", () => {
  it("replaces any conversion with the webhook strategy at /convert and keeps the rest of the spec", () => {
    const crd: Manifest = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "clusters.cluster.x-k8s.io" },
      spec: { group: "cluster.x-k8s.io", conversion: { strategy: "None" }, versions: [{ name: "v1beta2" }] },
    };
    expect(withLocalConversion(crd, target).spec).toEqual({
      group: "cluster.x-k8s.io",
      versions: [{ name: "v1beta2" }],
      conversion: {
        strategy: "Webhook",
        webhook: { conversionReviewVersions: ["v1", "v1beta1"], clientConfig: { url: "https://127.0.0.1:9443/convert", caBundle } },
      },
    });
  });
});
