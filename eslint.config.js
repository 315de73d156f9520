// ESLint flat config: type-aware typescript-eslint rules plus the import
// boundaries of docs/architecture.md ("may import" column), enforced here so
// that a driver never learns about Kubernetes and a packet loop never learns
// about policy. See docs/adr/0002-import-boundaries.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const FOLDERS = ["api", "bmc", "pxe", "controllers", "ramdisk", "cmd", "e2e", "scripts", "bench"];

/** A relative import that climbs into one of `folders` at the repo's top level. */
function into(folders) {
  return `^(?:\\.\\./)+(?:${folders.join("|")})(?:/|$)`;
}

function boundary(folder, { allow = [], extra = [] } = {}) {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allow.includes(f));
  return {
    files: [`${folder}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: into(forbidden),
              message: `${folder}/ may import only ${allow.length ? allow.join(", ") : "nothing of ours"} (docs/architecture.md).`,
            },
            ...extra,
          ],
        },
      ],
    },
  };
}

/** Tests beside the code may start real peers through the e2e framework. */
function testBoundary(folder, { allow = [], extra = [] } = {}) {
  const b = boundary(folder, { allow: [...allow, "e2e"], extra });
  return { ...b, files: [`${folder}/**/*.test.ts`] };
}

const rules = [
  ["api", {}],
  ["bmc", {}],
  [
    "pxe",
    {
      allow: ["api"],
      extra: [
        {
          regex: into(["api"]),
          allowTypeImports: true,
          message: "pxe/ may import only types from api/ (docs/architecture.md).",
        },
      ],
    },
  ],
  [
    "controllers",
    {
      allow: ["api", "bmc", "pxe"],
      extra: [
        {
          regex: "^(?:\\.\\./)+bmc/(?:redfish|ipmi)(?:/|$)",
          message: "controllers/ use the BMC role interfaces, never a driver (docs/architecture.md).",
        },
        {
          // The host controller implements the boot service's two interfaces; it never reaches into a service.
          regex: "^(?:\\.\\./)+pxe/(?!(?:boot|agent)-backend\\.js$)",
          message: "controllers/ may import only the types of pxe/boot-backend.ts and pxe/agent-backend.ts (docs/architecture.md).",
        },
        {
          regex: "^(?:\\.\\./)+pxe/(?:boot|agent)-backend\\.js$",
          allowTypeImports: true,
          message: "controllers/ may import only the types of pxe/boot-backend.ts and pxe/agent-backend.ts (docs/architecture.md).",
        },
      ],
    },
  ],
  ["ramdisk", {}],
  ["scripts", { allow: ["api"] }],
];

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "out/", ".tmp/", "**/testdata/**", "ramdisk/agent/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "max-lines": ["error", { max: 500, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: ["**/*.js", "**/*.mjs"], ...tseslint.configs.disableTypeChecked },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: { console: "readonly", process: "readonly" } } },
  ...rules.map(([folder, opts]) => boundary(folder, opts)),
  ...rules.filter(([f]) => f !== "ramdisk").map(([folder, opts]) => testBoundary(folder, opts)),
  {
    files: ["**/*.test.ts", "e2e/**/*.ts", "bench/**/*.ts"],
    rules: {
      "max-lines": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      // Test doubles implement async interfaces without awaiting anything.
      "@typescript-eslint/require-await": "off",
    },
  },
);
