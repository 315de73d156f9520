/**
 * Delay before retrying a host in error, from its `status.errorCount`.
 * Doubling from 10 s, capped at 10 min so a fixed cause is picked up within
 * minutes even without a watch event:
 *
 *   errorCount  1    2    3    4     5     6     7+
 *   delay       10s  20s  40s  80s   160s  320s  600s
 *
 * baremetal-operator's calculateBackoff doubles too but adds random jitter;
 * this one is deterministic so tests and operators can predict it, and the
 * work queue already spreads retries of many hosts apart.
 */
export const ERROR_BACKOFF_BASE_MS = 10_000;
export const ERROR_BACKOFF_CAP_MS = 600_000;

export function errorBackoffMs(errorCount: number): number {
  if (errorCount <= 0) return 0;
  const exponent = Math.min(errorCount - 1, 16);
  return Math.min(ERROR_BACKOFF_BASE_MS * 2 ** exponent, ERROR_BACKOFF_CAP_MS);
}
