import { describe, expect, expectTypeOf, it } from "vitest";
import {
  arr,
  bool,
  dateTime,
  enumOf,
  int,
  nullable,
  obj,
  str,
  stringMap,
  withRules,
  type Infer,
  type Schema,
} from "./builder.js";

describe("schema builders", () => {
  it.each<[string, Schema<unknown>, object]>([
    ["a string with a pattern", str("d", { pattern: "^a$" }), { description: "d", type: "string", pattern: "^a$" }],
    ["a date-time string", dateTime("d"), { description: "d", type: "string", format: "date-time" }],
    ["an enum of strings", enumOf("d", ["x", "y"]), { description: "d", type: "string", enum: ["x", "y"] }],
    ["a bounded int32", int("d", { format: "int32", minimum: 1, maximum: 9 }), { description: "d", type: "integer", format: "int32", minimum: 1, maximum: 9 }],
    ["a boolean with a default", bool("d", { default: false }), { description: "d", type: "boolean", default: false }],
    ["a list of strings", arr("d", str("i"), { maxItems: 2 }), { description: "d", type: "array", items: { description: "i", type: "string" }, maxItems: 2 }],
    ["a string map", stringMap("d"), { description: "d", type: "object", additionalProperties: { type: "string" } }],
    ["a nullable string", nullable(str("d")), { description: "d", type: "string", nullable: true }],
  ])("writes %s as the API server's schema node", (_name, schema, json) => {
    expect(schema.json).toEqual(json);
  });

  it("lists an object's required keys sorted, so generated YAML is stable", () => {
    const s = obj("d", { b: str("b"), a: str("a"), c: str("c") }, { required: ["c", "a"] });
    expect(s.json.required).toEqual(["a", "c"]);
    expect(Object.keys(s.json.properties ?? {})).toEqual(["b", "a", "c"]);
  });

  it("omits `required` when no key is required", () => {
    expect(obj("d", { a: str("a") }).json).not.toHaveProperty("required");
  });

  it("appends CEL rules to those a schema already has", () => {
    const s = withRules(str("d", { validations: [{ rule: "a", message: "m1" }] }), [{ rule: "b", message: "m2" }]);
    expect(s.json["x-kubernetes-validations"]?.map((r) => r.rule)).toEqual(["a", "b"]);
  });

  it("infers required keys as required and the rest as optional", () => {
    const s = obj("d", { name: str("n"), count: int("c"), mode: enumOf("m", ["a", "b"]) }, { required: ["name"] });
    expectTypeOf<Infer<typeof s>>().toEqualTypeOf<{ name: string; count?: number; mode?: "a" | "b" }>();
    expect(s.json.required).toEqual(["name"]);
  });

  it("infers arrays, maps and nullables", () => {
    const s = obj("d", { xs: arr("x", bool("b")), m: stringMap("m"), t: nullable(dateTime("t")) });
    expectTypeOf<Infer<typeof s>>().toEqualTypeOf<{ xs?: boolean[]; m?: Record<string, string>; t?: string | null }>();
    expect(s.json).not.toHaveProperty("required");
  });
});
