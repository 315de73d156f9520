import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Lints snippets placed (virtually) in each folder and checks that the
// boundary rules of docs/architecture.md fire — and do not fire on allowed
// imports — so a broken regular expression cannot silently disable them.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

async function boundaryMessages(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: false, project: null } },
      },
    ],
    ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
  });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import boundaries", () => {
  it.each([
    ["api/v1alpha1/host.ts", `import { x } from "../../bmc/types.js";`],
    ["bmc/redfish/client.ts", `import { x } from "../../api/v1alpha1/index.js";`],
    ["bmc/types.ts", `import { x } from "../pxe/boot-backend.js";`],
    ["pxe/dhcp/server.ts", `import { x } from "../../controllers/host/index.js";`],
    ["pxe/dhcp/server.ts", `import { x } from "../../bmc/types.js";`],
    ["pxe/http/agent.ts", `import { hostStates } from "../../api/v1alpha1/index.js";`],
    ["controllers/host/power.ts", `import { x } from "../../bmc/redfish/client.js";`],
    ["controllers/host/power.ts", `import { x } from "../../bmc/ipmi/index.js";`],
    ["controllers/host/power.ts", `import { x } from "../../pxe/dhcp/server.js";`],
    ["controllers/kube/boot.ts", `import { normalizeMac } from "../../pxe/boot-backend.js";`],
    ["controllers/kube/boot.ts", `import type { X } from "../../pxe/http/server.js";`],
    ["scripts/generate.ts", `import { x } from "../bmc/types.js";`],
  ])("refuses, in %s, the import %s", async (file, code) => {
    expect(await boundaryMessages(file, code)).toHaveLength(1);
  });

  it.each([
    ["bmc/redfish/client.ts", `import { x } from "../errors.js";`],
    ["pxe/http/agent.ts", `import type { X } from "../../api/v1alpha1/index.js";`],
    ["controllers/host/power.ts", `import type { BmcClient } from "../../bmc/types.js";`],
    ["controllers/host/state.ts", `import { x } from "../../api/v1alpha1/index.js";`],
    ["controllers/kube/boot.ts", `import type { BootBackend } from "../../pxe/boot-backend.js";`],
    ["controllers/kube/agent.ts", `import type { AgentBackend } from "../../pxe/agent-backend.js";`],
    ["scripts/generate.ts", `import { x } from "../api/v1alpha1/index.js";`],
    ["cmd/anvil.ts", `import { x } from "../bmc/redfish/client.js";`],
    ["bmc/redfish/client.peer.test.ts", `import { x } from "../../e2e/framework/sushy-tools.js";`],
  ])("allows, in %s, the import %s", async (file, code) => {
    expect(await boundaryMessages(file, code)).toEqual([]);
  });
});
