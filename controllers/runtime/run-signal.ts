/**
 * The AbortSignal a Manager hands to everything it runs: every informer's
 * list and watch, every controller waiting for its caches, every worker and
 * every API request in flight listens on it at once. That is many listeners
 * by design, each removed when its call ends (run-signal.test.ts checks
 * that), so Node's "possible EventTarget memory leak" warning at 11 listeners
 * (MaxListenersExceededWarning, events.defaultMaxListeners) is lifted for
 * this one signal. The caller's own signal gets a single listener, so its
 * owner keeps the warning for its own code.
 */
import { setMaxListeners } from "node:events";

/** Lets `signal` carry any number of listeners without a warning; returns it. */
export function sharedSignal(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

/** A shared signal that aborts with `outer`; `detach` removes its one listener from `outer`. */
export function runSignal(outer: AbortSignal): { readonly signal: AbortSignal; readonly detach: () => void } {
  const inner = new AbortController();
  sharedSignal(inner.signal);
  const onAbort = (): void => inner.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener("abort", onAbort, { once: true });
  return { signal: inner.signal, detach: () => outer.removeEventListener("abort", onAbort) };
}
