/** Time as the server sees it; injected so tests can drive timers by hand. */
export interface Clock {
  /** Monotonic milliseconds, for every timeout (immune to wall-clock jumps). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, only for timestamps that outlive the process. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending session timer must never keep a shutting-down process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
