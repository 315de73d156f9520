/**
 * Certificates for local peers, made with Debian's `openssl` (Node 20 cannot
 * issue X.509). Keys are ECDSA P-256 and certificates live 7 days, as in
 * controller-runtime envtest's TinyCA: enough for any test run or a person's
 * session, short enough that a leaked test key is worthless soon.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** openssl failed; `detail` is its stderr (it never contains key material). */
export class CertError extends Error {
  readonly code = "CERT_OPENSSL_FAILED";
  constructor(
    readonly step: string,
    readonly detail: string,
  ) {
    super(`openssl ${step} failed: ${detail}`);
    this.name = "CertError";
  }
}

/** A PEM certificate and key written to disk. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate's PEM text (for caBundle fields and kubeconfigs). */
  readonly certPem: string;
}

export interface LeafOptions {
  /** Subject common name. For client certs this is the Kubernetes user. */
  readonly commonName: string;
  /** Subject organisations. For client certs these are the Kubernetes groups. */
  readonly organizations?: readonly string[];
  /** DNS names and IP addresses; only server certificates need them. */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly usage: "server" | "client";
}

const DAYS = "7";

async function openssl(step: string, args: readonly string[]): Promise<void> {
  try {
    await run("openssl", [...args], { maxBuffer: 1 << 20 });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new CertError(step, typeof stderr === "string" && stderr.trim() !== "" ? stderr.trim() : String(err));
  }
}

/** The subject as openssl's `-subj` reads it; `/` and `=` in values are escaped (openssl req(1)). */
function subject(cn: string, orgs: readonly string[] = []): string {
  const esc = (v: string): string => v.replace(/[/=\\]/g, (c) => `\\${c}`);
  return [...orgs.map((o) => `/O=${esc(o)}`), `/CN=${esc(cn)}`].join("");
}

/** An EC P-256 private key in PKCS#8 PEM. */
async function newKey(keyFile: string): Promise<void> {
  await openssl("genpkey", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile]);
  await chmod(keyFile, 0o600);
}

/**
 * A self-signed CA. The extensions are written out in full (not taken from the
 * system openssl.cnf) so the result does not depend on the distribution:
 * RFC 5280 §4.2.1.9 requires basicConstraints cA=TRUE and §4.2.1.3 keyCertSign
 * for a certificate that signs others.
 */
export async function makeCa(dir: string, name: string, commonName: string): Promise<CertFiles> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const cnf = path.join(dir, `${name}.cnf`);
  await newKey(keyFile);
  await writeFile(
    cnf,
    [
      "[req]",
      "distinguished_name = dn",
      "x509_extensions = ext",
      "prompt = no",
      "[dn]",
      `CN = ${commonName}`,
      "[ext]",
      "basicConstraints = critical, CA:TRUE",
      "keyUsage = critical, keyCertSign, cRLSign, digitalSignature",
      "subjectKeyIdentifier = hash",
      "",
    ].join("\n"),
  );
  await openssl("req -x509", ["req", "-x509", "-new", "-key", keyFile, "-out", certFile, "-days", DAYS, "-config", cnf, "-set_serial", serial()]);
  await rm(cnf, { force: true });
  return { certFile, keyFile, certPem: await readFile(certFile, "utf8") };
}

/**
 * A certificate signed by `ca`. Server certificates carry their names as
 * subjectAltName: TLS clients match only SANs, never the CN (RFC 6125 §6.4.4,
 * and Go's crypto/x509 since 1.15).
 */
export async function makeLeaf(dir: string, name: string, ca: CertFiles, opts: LeafOptions): Promise<CertFiles> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await newKey(keyFile);
  await openssl("req -new", ["req", "-new", "-key", keyFile, "-out", csr, "-subj", subject(opts.commonName, opts.organizations)]);
  const sans = [...(opts.dnsNames ?? []).map((d) => `DNS:${d}`), ...(opts.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  const lines = [
    "[ext]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    `extendedKeyUsage = ${opts.usage === "server" ? "serverAuth" : "clientAuth"}`,
    "authorityKeyIdentifier = keyid",
  ];
  if (sans.length > 0) lines.push(`subjectAltName = ${sans.join(", ")}`);
  await writeFile(ext, `${lines.join("\n")}\n`);
  await openssl("x509 -req", [
    "x509", "-req", "-in", csr, "-CA", ca.certFile, "-CAkey", ca.keyFile,
    "-set_serial", serial(), "-days", DAYS, "-extfile", ext, "-extensions", "ext", "-out", certFile,
  ]);
  await rm(csr, { force: true });
  await rm(ext, { force: true });
  return { certFile, keyFile, certPem: await readFile(certFile, "utf8") };
}

/** A bare key pair (no certificate), e.g. for signing service-account tokens. */
export async function makeKeyPair(dir: string, name: string): Promise<{ keyFile: string; publicKeyFile: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const publicKeyFile = path.join(dir, `${name}.pub`);
  await newKey(keyFile);
  await openssl("pkey -pubout", ["pkey", "-in", keyFile, "-pubout", "-out", publicKeyFile]);
  return { keyFile, publicKeyFile };
}

/** A random positive serial: RFC 5280 §4.1.2.2 wants serials unique per CA, at most 20 octets. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return `0x${b.toString("hex")}`;
}
