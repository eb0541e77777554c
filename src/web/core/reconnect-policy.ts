/** Reconnect timing: exponential backoff with jitter, reset after a successful join. */
export interface ReconnectPolicy {
  /** Delay before attempt number `attempt` (0-based), in ms. */
  delay(attempt: number): number;
}

export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 8_000;

/**
 * "Equal jitter": half the exponential step is fixed, half is random, so a server restart does
 * not get every client back in the same millisecond, yet nobody waits close to zero for nothing.
 */
export function jitteredBackoff(
  random: () => number = Math.random,
  baseMs = RECONNECT_BASE_MS,
  maxMs = RECONNECT_MAX_MS,
): ReconnectPolicy {
  return {
    delay(attempt) {
      const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
      return Math.round(step / 2 + random() * (step / 2));
    },
  };
}
