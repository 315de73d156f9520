/**
 * The `Range` header of a GET (RFC 9110 §14.1.2, §14.2). Supported forms:
 * `bytes=first-last`, `bytes=first-` and the suffix `bytes=-length`. A request
 * with several ranges, or one we cannot parse, is answered with the whole
 * file: RFC 9110 §14.2 lets a server ignore Range.
 */
export type RangeDecision =
  | { readonly kind: "full" }
  | { readonly kind: "partial"; readonly start: number; readonly end: number }
  /** RFC 9110 §15.5.17: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: "full" };
  const m = SINGLE.exec(header.trim().replace(/\s+/g, ""));
  if (!m) return { kind: "full" };
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    // RFC 9110 §14.1.2 suffix-range: the last N bytes; N = 0 cannot be satisfied.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return { kind: "full" };
  // RFC 9110 §14.1.2: a first-pos at or past the end is unsatisfiable.
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}
