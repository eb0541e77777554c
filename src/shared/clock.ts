/**
 * Time as both sides of HomeCall see it, injected everywhere so tests can drive timers by
 * hand (style.md §3, §5). No Node or DOM API here: each side's entry point builds the real one.
 */
export interface Clock {
  /** Monotonic milliseconds, for every timeout (immune to wall-clock jumps). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, only for timestamps that outlive the process. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object | number;
