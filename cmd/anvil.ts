#!/usr/bin/env node
/**
 * The `anvil` command: a dispatcher of subcommand groups. Each group is a
 * module `cmd/<group>-command.ts` exporting `run(argv)` that resolves to the
 * process exit code; groups load lazily so `anvil bmc` never loads the
 * manager's dependencies.
 */
import process from "node:process";

interface CommandModule {
  run(argv: readonly string[]): Promise<number>;
}

const GROUPS: Readonly<Record<string, { readonly summary: string; load(): Promise<CommandModule> }>> = {
  bmc: { summary: "check and drive a BMC (Redfish or IPMI) before writing a BareMetalHost", load: () => import("./bmc-command.js") },
  manager: { summary: "run the BareMetalHost controller and the boot service (what the manager Deployment runs)", load: () => import("./manager-command.js") },
  pxe: { summary: "run the network boot services (DHCP, TFTP, HTTP/iPXE) with a hosts file", load: () => import("./pxe-command.js") },
};

function usage(): string {
  const lines = Object.entries(GROUPS).map(([name, g]) => `  ${name.padEnd(8)} ${g.summary}`);
  return ["usage: anvil <command> [arguments]", "", "commands:", ...lines, "", "Run `anvil <command> --help` for a command's arguments."].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === undefined || group === "--help" || group === "-h" || group === "help") {
    process.stdout.write(`${usage()}\n`);
    return group === undefined ? 2 : 0;
  }
  const entry = GROUPS[group];
  if (entry === undefined) {
    process.stderr.write(`anvil: unknown command "${group}"\n\n${usage()}\n`);
    return 2;
  }
  return (await entry.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`anvil: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
