/**
 * The demo's BMCs: sushy-tools' fake driver with one Redfish system per
 * host, behind HTTP Basic auth with a password made for this run (it reaches
 * the cluster only inside the BMC Secrets and is never printed).
 */
import { randomBytes } from "node:crypto";
import { startSushyTools } from "../framework/sushy-tools.js";
import type { FleetSystem } from "./inventory.js";

export interface DemoFleet {
  /** Redfish service root, `http://127.0.0.1:<port>` */
  readonly redfishBase: string;
  readonly systems: readonly FleetSystem[];
  readonly username: string;
  readonly password: string;
  /** Each system's PowerState as its BMC reports it now. */
  powerStates(): Promise<{ name: string; powerState: string }[]>;
  stop(): Promise<void>;
}

export async function startDemoFleet(hosts: number): Promise<DemoFleet> {
  const username = "admin";
  const password = randomBytes(12).toString("base64url");
  const names = Array.from({ length: hosts }, (_, i) => `node-${i}`);
  const sushy = await startSushyTools({ systems: names.map((name) => ({ name })), auth: { username, password } });
  return {
    redfishBase: sushy.url,
    systems: sushy.systems.map((s) => ({ id: s.id, name: s.name, bootMac: s.mac })),
    username,
    password,
    powerStates: () =>
      Promise.all(
        sushy.systems.map(async (s) => {
          const body = (await sushy.get(s.path)) as { PowerState?: unknown };
          return { name: s.name, powerState: typeof body.PowerState === "string" ? body.PowerState : "?" };
        }),
      ),
    stop: () => sushy.stop(),
  };
}
