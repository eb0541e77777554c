/** Every count and time of a benchmark run, bounded: the full run fits in 15 minutes on 2 cores. */

export interface LatencyConfig {
  idlePairs: number;
  activePairs: number;
  framesPerSec: number;
  warmupMs: number;
  durationMs: number;
}

export interface CapacityConfig {
  rssLimitBytes: number;
  batch: number;
  maxSockets: number;
  maxMs: number;
  holdMs: number;
}

export interface BenchConfig {
  reps: number;
  memorySizes: number[];
  callConcurrency: number[];
  callWarmupMs: number;
  callWindowMs: number;
  latency: LatencyConfig;
  capacity: CapacityConfig;
  browserRuns: number;
  settleMs: number;
}

/** A fresh (mutable) configuration for a smoke or a full run. */
export function benchConfig(smoke: boolean): BenchConfig {
  return smoke
    ? {
        settleMs: 200,
        reps: 1,
        memorySizes: [200],
        callConcurrency: [10],
        callWarmupMs: 300,
        callWindowMs: 1000,
        latency: { idlePairs: 20, activePairs: 5, framesPerSec: 100, warmupMs: 200, durationMs: 1000 },
        capacity: { rssLimitBytes: 2 * 1024 ** 3, batch: 300, maxSockets: 300, maxMs: 10_000, holdMs: 1000 },
        browserRuns: 2,
      }
    : {
        settleMs: 1000,
        reps: 3,
        memorySizes: [1000, 10_000, 50_000],
        callConcurrency: [50, 200],
        callWarmupMs: 1500,
        callWindowMs: 6000,
        latency: { idlePairs: 1000, activePairs: 100, framesPerSec: 1000, warmupMs: 1000, durationMs: 8000 },
        // Held long enough for one full server ping round (15 s) at capacity.
        capacity: { rssLimitBytes: 2 * 1024 ** 3, batch: 5000, maxSockets: 240_000, maxMs: 150_000, holdMs: 16_000 },
        browserRuns: 10,
      };
}
