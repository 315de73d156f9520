import { describe, expect, it } from "vitest";
import { arr, bool, enumOf, int, nullable, obj, str, stringMap } from "./builder.js";
import { validate } from "./validate.js";

const schema = obj(
  "root",
  {
    spec: obj(
      "spec",
      {
        mac: str("mac", { pattern: "^[0-9a-f]{2}(:[0-9a-f]{2}){5}$" }),
        mode: enumOf("mode", ["UEFI", "legacy"]),
        size: int("size", { minimum: 0, format: "int32" }),
        name: str("name", { minLength: 1, maxLength: 5 }),
        on: bool("on"),
        when: nullable(str("when", { format: "date-time" })),
        tags: arr("tags", obj("tag", { key: str("k") }, { required: ["key"] }), { maxItems: 2 }),
        labels: stringMap("labels"),
      },
      { required: ["on"] },
    ),
    metadata: obj("meta", {}),
  },
  { required: ["spec"] },
).json;
// metadata is left to the API server: a schema node without properties.
delete schema.properties?.metadata?.properties;

describe("validate", () => {
  it.each<[string, unknown, string, string]>([
    ["a MAC that does not match the pattern", { mac: "00:11" }, "spec.mac", "should match"],
    ["a value outside the enum", { mode: "uefi" }, "spec.mode", "Unsupported value"],
    ["a negative size", { size: -1 }, "spec.size", "greater than or equal to 0"],
    ["an int32 overflow", { size: 2 ** 31 }, "spec.size", "int32"],
    ["an empty name", { name: "" }, "spec.name", "at least 1"],
    ["a long name", { name: "abcdef" }, "spec.name", "Too long"],
    ["a string where a boolean belongs", { on: "yes" }, "spec.on", "must be of type boolean"],
    ["a malformed timestamp", { when: "yesterday" }, "spec.when", "date-time"],
    ["a list item without its required key", { tags: [{}] }, "spec.tags[0].key", "Required value"],
    ["too many list items", { tags: [{ key: "a" }, { key: "b" }, { key: "c" }] }, "spec.tags", "Too many"],
    ["a non-string label value", { labels: { a: 1 } }, "spec.labels.a", "must be of type string"],
    ["an unknown field", { bootMacAddress: "x" }, "spec.bootMacAddress", 'unknown field "spec.bootMacAddress"'],
  ])("refuses %s and names the field", (_what, extra, path, message) => {
    const errors = validate(schema, { spec: { on: true, ...(extra as object) } });
    expect(errors).toContainEqual({ path, message: expect.stringContaining(message) as string });
  });

  it("refuses two list-map items with the same key, as the API server does", () => {
    const conditions = arr("c", obj("c", { type: str("t"), status: str("s") }), { listType: "map", listMapKeys: ["type"] }).json;
    expect(validate(conditions, [{ type: "Ready", status: "True" }, { type: "Ready", status: "False" }], "status.conditions")).toEqual([
      { path: "status.conditions[1]", message: 'Duplicate value: ["Ready"]' },
    ]);
    expect(validate(conditions, [{ type: "Ready" }, { type: "Paused" }])).toEqual([]);
  });

  it("reports a missing required field by its path", () => {
    expect(validate(schema, { spec: {} })).toEqual([{ path: "spec.on", message: "Required value" }]);
  });

  it("accepts a value that meets every rule", () => {
    const good = {
      metadata: { name: "x", anything: { goes: true } },
      spec: {
        on: false,
        mac: "00:11:22:33:44:55",
        mode: "legacy",
        size: 0,
        name: "a",
        when: "2026-11-22T02:30:00Z",
        tags: [{ key: "a" }],
        labels: { a: "b" },
      },
    };
    expect(validate(schema, good)).toEqual([]);
  });

  it("admits null only where the schema says nullable, pruning it elsewhere", () => {
    expect(validate(schema, { spec: { on: true, when: null, mode: null } })).toEqual([]);
    expect(validate(schema, { spec: { on: null } })).toEqual([{ path: "spec.on", message: "Required value" }]);
  });
});
