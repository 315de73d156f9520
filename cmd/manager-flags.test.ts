import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { bootConfigFor, ManagerConfigError, type Interfaces } from "./manager-boot-config.js";
import { ManagerFlagError, parseManagerFlags } from "./manager-flags.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The manager container's args, with clusterctl's `${VAR:=default}` and the kubelet's `$(VAR)` filled as they would be. */
function releaseArgs(env: Readonly<Record<string, string>> = {}): string[] {
  const docs = parseAllDocuments(readFileSync(path.join(ROOT, "manifests/manager/manager.yaml"), "utf8")).map((d) => d.toJS() as Record<string, unknown>);
  const deployment = docs.find((d) => d.kind === "Deployment") as { spec: { template: { spec: { containers: { name: string; args: string[] }[] } } } };
  const args = deployment.spec.template.spec.containers.find((c) => c.name === "manager")!.args;
  const [sub, ...rest] = args;
  expect(sub).toBe("manager");
  return rest.map((a) => a.replace(/\$\{(\w+):=([^}]*)\}/g, (_m, k: string, d: string) => env[k] ?? d).replace(/\$\((\w+)\)/g, (_m, k: string) => env[k] ?? `<${k}>`));
}

/** `expect.objectContaining`, typed for a table. */
const has = (o: Record<string, unknown>): unknown => expect.objectContaining(o);

describe("anvil manager's flags", () => {
  it("parses the release Deployment's args with clusterctl's defaults, meaning what docs/release.md says", () => {
    const s = parseManagerFlags(releaseArgs({ POD_NAMESPACE: "anvil-system" }));
    expect(s).toMatchObject({
      runtime: { namespace: "", leaderElect: true, leaderElectionNamespace: "anvil-system", metricsBindAddress: "0.0.0.0:8080" },
      logLevel: "info",
      provisioningInterface: "eth1",
      provisioningAddress: "172.22.0.2",
      dhcpMode: "reservation",
      dhcpRange: { start: "172.22.0.10", end: "172.22.0.100" },
      httpPort: 6180,
      tftpPort: 69,
      ramdisk: { kernelUrl: "http://172.22.0.2:6180/assets/anvil-ramdisk.kernel", initrdUrl: "http://172.22.0.2:6180/assets/anvil-ramdisk.initramfs" },
    });
  });

  it("parses the release args with every clusterctl variable set", () => {
    const s = parseManagerFlags(
      releaseArgs({
        POD_NAMESPACE: "infra",
        ANVIL_WATCH_NAMESPACE: "racks",
        ANVIL_LOG_LEVEL: "debug",
        ANVIL_PROBE_ADDRESS: "127.0.0.1",
        ANVIL_PROVISIONING_INTERFACE: "bond0",
        ANVIL_PROVISIONING_ADDRESS: "10.9.0.1",
        ANVIL_DHCP_MODE: "proxy",
        ANVIL_DHCP_RANGE: "10.9.0.50-10.9.0.60",
        ANVIL_HTTP_PORT: "8081",
      }),
    );
    expect(s).toMatchObject({
      runtime: { namespace: "racks", leaderElectionNamespace: "infra", metricsBindAddress: "127.0.0.1:8080" },
      logLevel: "debug",
      provisioningInterface: "bond0",
      provisioningAddress: "10.9.0.1",
      dhcpMode: "proxy",
      httpPort: 8081,
      ramdisk: { kernelUrl: "http://172.22.0.2:6180/assets/anvil-ramdisk.kernel" },
    });
  });

  it.each([
    { args: [], field: "runtime", want: has({ leaderElect: false, namespace: "", metricsBindAddress: "127.0.0.1:8080" }) },
    { args: ["--leader-elect"], field: "runtime", want: has({ leaderElect: true }) },
    { args: ["--leader-elect=false"], field: "runtime", want: has({ leaderElect: false }) },
    { args: ["--namespace", "lab"], field: "runtime", want: has({ namespace: "lab" }) },
    { args: ["--metrics-bind-address=0"], field: "runtime", want: has({ metricsBindAddress: "0" }) },
    { args: ["--kube-api-qps=200", "--kube-api-burst=400", "--concurrency=16"], field: "runtime", want: has({ qps: 200, burst: 400, concurrency: 16 }) },
    { args: ["--kubeconfig", "/tmp/kc"], field: "kubeconfig", want: "/tmp/kc" },
    { args: [], field: "kubeconfig", want: undefined },
    { args: ["--http-address=127.0.0.1", "--http-port=18080"], field: "httpAddress", want: "127.0.0.1" },
    { args: ["--tftp-port=off"], field: "tftpPort", want: undefined },
    { args: ["--tftp-port=1069"], field: "tftpPort", want: 1069 },
    { args: ["--dhcp-mode=off"], field: "dhcpMode", want: "off" },
    { args: ["--provisioning-limit=40"], field: "provisioningLimit", want: 40 },
    { args: [], field: "bmcConcurrency", want: 100 },
    { args: ["--bmc-concurrency=250"], field: "bmcConcurrency", want: 250 },
    { args: ["--provisioning-address=10.0.0.1", "--http-port=80"], field: "ramdisk", want: { kernelUrl: "http://10.0.0.1:80/assets/anvil-ramdisk.kernel", initrdUrl: "http://10.0.0.1:80/assets/anvil-ramdisk.initramfs" } },
    { args: ["--ramdisk-kernel-args=console=ttyS0"], field: "ramdisk", want: has({ kernelArgs: "console=ttyS0" }) },
    { args: ["--log-level=warn", "--log-level=error"], field: "logLevel", want: "error" },
    { args: ["-h"], field: "help", want: true },
  ])("reads $args into $field", ({ args, field, want }) => {
    expect(parseManagerFlags(args)[field as keyof ReturnType<typeof parseManagerFlags>]).toEqual(want);
  });

  it.each([
    { args: ["--nope"], why: /unknown flag --nope/ },
    { args: ["manager"], why: /unexpected argument/ },
    { args: ["--leader-elect=yes"], why: /true or false/ },
    { args: ["--namespace"], why: /needs a value/ },
    { args: ["--namespace", "--leader-elect"], why: /needs a value/ },
    { args: ["--namespace=Bad_NS"], why: /namespace name/ },
    { args: ["--log-level=trace"], why: /--log-level/ },
    { args: ["--dhcp-mode=relay"], why: /--dhcp-mode/ },
    { args: ["--dhcp-range=172.22.0.100-172.22.0.10"], why: /ascend/ },
    { args: ["--dhcp-range=172.22.0.10"], why: /START-END/ },
    { args: ["--provisioning-address=172.22.0.256"], why: /IPv4/ },
    { args: ["--http-port=0"], why: /port 1-65535/ },
    { args: ["--http-port=6180x"], why: /port/ },
    { args: ["--tftp-port=none"], why: /--tftp-port/ },
    { args: ["--probe-address=0.0.0.0"], why: /host:port/ },
    { args: ["--probe-address=:8080", "--metrics-bind-address=:9090"], why: /give one/ },
    { args: ["--kube-api-qps=0"], why: /kube-api-qps/ },
    { args: ["--concurrency=2.5"], why: /concurrency/ },
    { args: ["--ramdisk-kernel-url=ftp://x/k"], why: /http\(s\) URL/ },
    { args: ["--ramdisk-kernel-args=a\nb"], why: /one line/ },
    { args: ["--provisioning-limit=0"], why: /positive integer/ },
    { args: ["--bmc-concurrency=0"], why: /--bmc-concurrency must be a positive integer/ },
  ])("refuses $args with a usage error", ({ args, why }) => {
    let caught: unknown;
    try {
      parseManagerFlags(args);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ManagerFlagError);
    expect(caught).toMatchObject({ code: "MANAGER_FLAG_INVALID", exitCode: 2, message: expect.stringMatching(why) as unknown });
  });
});

describe("the boot service config from the flags", () => {
  const ifaces: Interfaces = {
    lo: [{ address: "127.0.0.1", netmask: "255.0.0.0", family: "IPv4", mac: "00:00:00:00:00:00", internal: true, cidr: "127.0.0.1/8" }],
    eth1: [{ address: "172.22.0.2", netmask: "255.255.255.0", family: "IPv4", mac: "52:54:00:00:00:01", internal: false, cidr: "172.22.0.2/24" }],
  };

  it("serves reservation DHCP on the provisioning interface's subnet with the range as the pool", () => {
    const cfg = bootConfigFor(parseManagerFlags([]), ifaces);
    expect(cfg.dhcp).toMatchObject({ mode: "reservation", serverAddress: "172.22.0.2", httpBaseUrl: "http://172.22.0.2:6180", subnets: [{ cidr: "172.22.0.0/24" }] });
    expect(cfg.http).toMatchObject({ address: "0.0.0.0", port: 6180, publicUrl: "http://172.22.0.2:6180" });
    expect(cfg.tftp).toMatchObject({ address: "172.22.0.2", port: 69 });
  });

  it("needs no interface with DHCP off, and runs no TFTP with --tftp-port=off", () => {
    const cfg = bootConfigFor(parseManagerFlags(["--dhcp-mode=off", "--tftp-port=off", "--provisioning-address=127.0.0.1", "--http-address=127.0.0.1"]), {});
    expect(cfg.dhcp.mode).toBe("off");
    expect(cfg.tftp).toBeUndefined();
    expect(cfg.http?.publicUrl).toBe("http://127.0.0.1:6180");
  });

  it.each([
    { args: ["--provisioning-interface=eth9"], why: /no such interface/ },
    { args: ["--provisioning-address=172.22.0.3"], why: /not an address of eth1/ },
  ])("refuses $args when the node's interfaces disagree", ({ args, why }) => {
    expect(() => bootConfigFor(parseManagerFlags(args), ifaces)).toThrow(ManagerConfigError);
    expect(() => bootConfigFor(parseManagerFlags(args), ifaces)).toThrow(why);
  });
});
