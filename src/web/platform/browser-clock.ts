import type { Clock } from '../../shared/clock.js';

/** The page's real clock: monotonic `performance.now`, wall time from `Date.now`, window timers. */
export const browserClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};
