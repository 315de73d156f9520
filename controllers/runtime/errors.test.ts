import { describe, expect, it } from "vitest";
import { ApiErrorCode, errorFromResponse } from "./errors.js";

const status = (code: number, reason: string, message = "", details?: unknown): unknown => ({ kind: "Status", status: "Failure", code, reason, message, details });

describe("errorFromResponse", () => {
  it.each([
    [404, "NotFound", ApiErrorCode.NotFound],
    [409, "AlreadyExists", ApiErrorCode.AlreadyExists],
    [409, "Conflict", ApiErrorCode.Conflict],
    [422, "Invalid", ApiErrorCode.Invalid],
    [403, "Forbidden", ApiErrorCode.Forbidden],
    [401, "Unauthorized", ApiErrorCode.Unauthorized],
    [410, "Expired", ApiErrorCode.Gone],
    [429, "TooManyRequests", ApiErrorCode.TooManyRequests],
    [500, "InternalError", ApiErrorCode.Unavailable],
    [503, "ServiceUnavailable", ApiErrorCode.Unavailable],
    [504, "Timeout", ApiErrorCode.Timeout],
    [502, "", ApiErrorCode.Unavailable],
    [418, "", ApiErrorCode.Unknown],
  ])("maps HTTP %i reason %s to %s", (http, reason, code) => {
    expect(errorFromResponse(http, status(http, reason), "get x").code).toBe(code);
  });

  it("keeps the field causes of an Invalid answer", () => {
    const err = errorFromResponse(
      422,
      status(422, "Invalid", "bad", { causes: [{ field: "spec.bootMACAddress", reason: "FieldValueInvalid", message: "must match" }] }),
      "create BareMetalHost ns/h",
    );
    expect(err.causes).toEqual([{ field: "spec.bootMACAddress", reason: "FieldValueInvalid", message: "must match" }]);
  });

  it("reads Retry-After and marks throttling as transient", () => {
    const err = errorFromResponse(429, status(429, "TooManyRequests"), "list", "3");
    expect(err.details.retryAfterSeconds).toBe(3);
    expect(err.transient).toBe(true);
    expect(errorFromResponse(404, status(404, "NotFound"), "get").transient).toBe(false);
  });

  it("redacts secrets the server echoes into its message", () => {
    const err = errorFromResponse(400, status(400, "BadRequest", 'cannot parse {"password": "s3cr3t-value"}'), "update Secret ns/s");
    expect(err.message).not.toContain("s3cr3t-value");
    expect(err.message).toContain("update Secret ns/s: 400 BadRequest");
  });
});
