/**
 * An offline clusterctl repository: Anvil's `make release` output beside
 * CAPI's own core, kubeadm bootstrap and kubeadm control-plane components
 * (rendered from CAPI's config trees with `kubectl kustomize`, as CAPI's
 * cmd/clusterctl/hack/create-local-repository.py does), a cert-manager
 * stand-in, and the clusterctl config file that points at all of them with
 * `file://` URLs.
 *
 * Layout (clusterctl's local repository, repository_local.go):
 *   <dir>/<provider-label>/<version>/<components file>  + metadata.yaml
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { capiBinDir, kubeBinDir, REPO_ROOT } from "./peers.js";
import { peerVersion } from "./versions.js";

const run = promisify(execFile);

/** The version clusterctl asks for when the command line names none. */
export const ANVIL_VERSION = "v0.1.0";
/**
 * The cert-manager version clusterctl v1.14 defaults to; only the directory
 * name, since the stand-in is no cert-manager at all.
 */
export const CERT_MANAGER_VERSION = "v1.21.1";

export interface ClusterctlRepoOptions {
  /** Where to build it; removed and rebuilt. */
  readonly dir: string;
  /** A directory holding `make release` output. @default a fresh `scripts/release.ts --out <dir>/anvil-release` */
  readonly anvilReleaseDir?: string;
  /** Extra top-level settings of the clusterctl config file (variables such as ANVIL_DHCP_MODE). */
  readonly variables?: Readonly<Record<string, string>>;
}

export interface ClusterctlRepo {
  readonly dir: string;
  /** Pass as `--config`. */
  readonly configPath: string;
  /** `v<CAPI_VERSION>` */
  readonly capiVersion: string;
  /** Per component, milliseconds to build it. */
  readonly timings: Readonly<Record<string, number>>;
}

export class ClusterctlRepoError extends Error {
  readonly code = "CLUSTERCTL_REPO_BUILD_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ClusterctlRepoError";
  }
}

interface CapiProvider {
  readonly name: string;
  readonly type: "CoreProvider" | "BootstrapProvider" | "ControlPlaneProvider";
  readonly label: string;
  readonly configDir: string;
  readonly file: string;
}

const CAPI_PROVIDERS: readonly CapiProvider[] = [
  { name: "cluster-api", type: "CoreProvider", label: "cluster-api", configDir: "core", file: "core-components.yaml" },
  { name: "kubeadm", type: "BootstrapProvider", label: "bootstrap-kubeadm", configDir: "bootstrap-kubeadm", file: "bootstrap-components.yaml" },
  { name: "kubeadm", type: "ControlPlaneProvider", label: "control-plane-kubeadm", configDir: "control-plane-kubeadm", file: "control-plane-components.yaml" },
];

/**
 * Stands in for cert-manager where no pod can run: clusterctl's readiness
 * probe only creates an Issuer and a Certificate and deletes them again
 * (cert_manager.go waitForAPIReady), and CAPI's components only need the
 * kinds to exist. No webhooks, so nothing points at a server that never runs.
 */
function certManagerStandIn(): string {
  const crd = (kind: string, plural: string, scope: "Namespaced" | "Cluster") => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.cert-manager.io` },
    spec: {
      group: "cert-manager.io",
      scope,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  });
  const docs = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "cert-manager" } },
    crd("Issuer", "issuers", "Namespaced"),
    crd("ClusterIssuer", "clusterissuers", "Cluster"),
    crd("Certificate", "certificates", "Namespaced"),
  ];
  return docs.map((d) => `---\n${stringify(d)}`).join("");
}

/** CAPI's metadata.yaml from the module the CAPI peer was built from. */
async function capiMetadataFile(capiVersion: string): Promise<string> {
  const lib = path.join(REPO_ROOT, "scripts/peers/lib.sh");
  // lib.sh sets GOMODCACHE to the cache the peer build filled, so this is a cache hit offline.
  const { stdout } = await run("bash", ["-c", `. "$1" && go mod download -json "sigs.k8s.io/cluster-api@$2"`, "_", lib, capiVersion], {
    maxBuffer: 4 << 20,
  });
  const dir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (dir === undefined) throw new ClusterctlRepoError(`go mod download gave no directory for sigs.k8s.io/cluster-api@${capiVersion}`);
  return path.join(dir, "metadata.yaml");
}

async function timed<T>(timings: Record<string, number>, key: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[key] = Date.now() - t0;
  }
}

export async function buildClusterctlRepo(opts: ClusterctlRepoOptions): Promise<ClusterctlRepo> {
  const dir = path.resolve(opts.dir);
  const capiVersion = `v${peerVersion("CAPI_VERSION")}`;
  const kubectl = path.join(kubeBinDir(), "kubectl");
  const configRoot = path.resolve(capiBinDir(), "../config");
  const timings: Record<string, number> = {};
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });

    let anvilRelease = opts.anvilReleaseDir;
    if (anvilRelease === undefined) {
      anvilRelease = path.join(dir, "anvil-release");
      const out = anvilRelease;
      await timed(timings, "anvil", () =>
        run("npx", ["tsx", path.join(REPO_ROOT, "scripts/release.ts"), "--out", out, "--kubectl", kubectl], { cwd: REPO_ROOT }),
      );
    }
    const anvilDir = path.join(dir, "infrastructure-anvil", ANVIL_VERSION);
    await mkdir(anvilDir, { recursive: true });
    for (const f of await readdir(anvilRelease)) {
      if (f.endsWith(".yaml")) await copyFile(path.join(anvilRelease, f), path.join(anvilDir, f));
    }

    const metadata = await capiMetadataFile(capiVersion);
    const providers: Record<string, string>[] = [];
    for (const p of CAPI_PROVIDERS) {
      const vdir = path.join(dir, p.label, capiVersion);
      await mkdir(vdir, { recursive: true });
      const { stdout } = await timed(timings, p.label, () =>
        run(kubectl, ["kustomize", path.join(configRoot, p.configDir, "default")], { maxBuffer: 64 << 20 }),
      );
      await writeFile(path.join(vdir, p.file), stdout);
      await copyFile(metadata, path.join(vdir, "metadata.yaml"));
      providers.push({ name: p.name, type: p.type, url: `file://${path.join(vdir, p.file)}` });
    }
    providers.push({ name: "anvil", type: "InfrastructureProvider", url: `file://${path.join(anvilDir, "infrastructure-components.yaml")}` });

    const cmDir = path.join(dir, "cert-manager", CERT_MANAGER_VERSION);
    await mkdir(cmDir, { recursive: true });
    await writeFile(path.join(cmDir, "cert-manager.yaml"), certManagerStandIn());

    const configPath = path.join(dir, "clusterctl.yaml");
    const config = {
      providers,
      "cert-manager": { url: `file://${path.join(cmDir, "cert-manager.yaml")}`, version: CERT_MANAGER_VERSION, timeout: "60s" },
      CLUSTERCTL_DISABLE_VERSIONCHECK: "true",
      ...opts.variables,
    };
    await writeFile(configPath, stringify(config));
    return { dir, configPath, capiVersion, timings };
  } catch (err) {
    if (err instanceof ClusterctlRepoError) throw err;
    throw new ClusterctlRepoError(`building the clusterctl repository in ${dir} failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
