/**
 * A /metrics scrape as a map from `name{labels}` to value, for tests.
 * Prometheus text format: every non-comment line is `name{labels} value`;
 * a line that is not throws, so a malformed exposition fails the test.
 */
export function parseScrape(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const v = Number(m[3] === "+Inf" ? Infinity : m[3]);
    if (Number.isNaN(v)) throw new Error(`bad value in ${line}`);
    out.set(`${m[1]}${m[2] ?? ""}`, v);
  }
  return out;
}
