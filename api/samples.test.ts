/**
 * The sample inventory in manifests/samples/ against the generated schemas:
 * every valid sample passes the structural checks, and every invalid sample
 * fails at the field its `# expect:` line names, or carries that mistake
 * where only a CEL rule can see it (the API server proves those in
 * e2e/crds.test.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ALL_KINDS } from "./kinds.js";
import type { JSONSchemaProps } from "./schema/json-schema.js";
import { validate } from "./schema/validate.js";

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../manifests/samples");
const INVALID = path.join(SAMPLES, "invalid");

interface Doc {
  apiVersion?: string;
  kind?: string;
}

function docs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as Doc);
}

function schemaFor(doc: Doc): JSONSchemaProps | undefined {
  const k = ALL_KINDS.find((k) => k.apiVersion === doc.apiVersion && k.definition.kind === doc.kind);
  return k?.crd.spec.versions[0]?.schema.openAPIV3Schema;
}

/** Whether a CEL rule on `path` or an ancestor of it could refuse the field. */
function celGuards(root: JSONSchemaProps, fieldPath: string): boolean {
  let node: JSONSchemaProps | undefined = root;
  for (const part of fieldPath.replace(/\[\d+\]/g, ".[]").split(".")) {
    if (node?.["x-kubernetes-validations"]?.length) return true;
    node = part === "[]" ? node?.items : node?.properties?.[part];
  }
  return (node?.["x-kubernetes-validations"]?.length ?? 0) > 0;
}

const yamlIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();

describe("sample inventory", () => {
  it.each(yamlIn(SAMPLES))("%s is valid for Anvil's CRDs", (file) => {
    const all = docs(path.join(SAMPLES, file));
    const ours = all.filter((d) => schemaFor(d) !== undefined);
    expect(ours.length).toBeGreaterThan(0);
    for (const d of all) {
      if (d.apiVersion === "v1" && d.kind === "Secret") continue;
      const schema = schemaFor(d);
      expect(schema, `${d.apiVersion}/${d.kind} is one of Anvil's kinds`).toBeDefined();
      expect(validate(schema!, d)).toEqual([]);
    }
  });

  it.each(yamlIn(SAMPLES).filter((f) => f.startsWith("bmh-")))("%s brings the BMC Secret its host names", (file) => {
    const all = docs(path.join(SAMPLES, file)) as (Doc & {
      metadata: { name: string };
      spec?: { bmc?: { credentialsName?: string } };
    })[];
    const secrets = all.filter((d) => d.kind === "Secret").map((d) => d.metadata.name);
    for (const host of all.filter((d) => d.kind === "BareMetalHost")) {
      expect(secrets).toContain(host.spec?.bmc?.credentialsName);
    }
  });

  it.each(yamlIn(INVALID))("invalid/%s is refused at the field it names", (file) => {
    const text = readFileSync(path.join(INVALID, file), "utf8");
    const expected = /^# expect: (\S+)$/m.exec(text)?.[1];
    expect(expected, "first line is `# expect: <field>`").toBeDefined();
    const [doc, ...rest] = docs(path.join(INVALID, file));
    expect(rest).toEqual([]);
    const schema = schemaFor(doc!)!;
    const errors = validate(schema, doc);
    if (errors.length > 0) {
      expect([...new Set(errors.map((e) => e.path))]).toEqual([expected]);
    } else {
      expect(celGuards(schema, expected!), `only CEL can refuse ${expected}`).toBe(true);
    }
  });
});
