/**
 * Kubeconfig files for local API servers. Certificates are embedded (the
 * `*-data` fields) so the file stays valid when copied or when the cert files
 * beside it are removed.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { CertFiles } from "./certs.js";

export interface KubeconfigOptions {
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** CA that signed the server's serving certificate. */
  readonly serverCa: CertFiles;
  /** Client certificate and key of the user. */
  readonly client: CertFiles;
  /** Name of the cluster, user and context entries. @default "anvil-test" */
  readonly name?: string;
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/** The kubeconfig YAML for one cluster, one user and one current context. */
export async function kubeconfigYaml(opts: KubeconfigOptions): Promise<string> {
  const name = opts.name ?? "anvil-test";
  const key = await readFile(opts.client.keyFile, "utf8");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: opts.server, "certificate-authority-data": b64(opts.serverCa.certPem) } }],
    users: [{ name, user: { "client-certificate-data": b64(opts.client.certPem), "client-key-data": b64(key) } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
  });
}

/** Writes the kubeconfig readable by its owner only: it holds a cluster-admin key. */
export async function writeKubeconfig(file: string, opts: KubeconfigOptions): Promise<void> {
  await writeFile(file, await kubeconfigYaml(opts), { mode: 0o600 });
  await chmod(file, 0o600);
}

/** A `@kubernetes/client-node` config loaded from a kubeconfig file. */
export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
