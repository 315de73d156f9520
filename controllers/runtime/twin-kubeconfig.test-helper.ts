/** Tests' kubeconfig for a scripted API server on loopback (plain HTTP). */
import { KubeConfig } from "@kubernetes/client-node";

export function twinKubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is off.
    clusters: [{ name: "twin", server, skipTLSVerify: true }],
    users: [{ name: "twin" }],
    contexts: [{ name: "twin", cluster: "twin", user: "twin" }],
    currentContext: "twin",
  });
  return kc;
}
