import type { Clock } from '../shared/clock.js';

export type { Clock, TimerHandle } from '../shared/clock.js';

/** The server's real clock: monotonic `performance.now`, and timers that never hold the process open. */
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
