/** The results' `summary`: medians and spreads over repetitions, per target and load. */
import type { CallsRun } from './calls-run.js';
import type { MemoryRun } from '../parts/memory.js';
import type { LatencyRun } from '../parts/latency.js';
import { type Spread, spread } from './stats.js';
import type { ServerName, TargetName } from './targets.js';

export interface SummarizeOptions {
  targets: TargetName[];
  memorySizes: number[];
  callConcurrency: number[];
  memory: MemoryRun[];
  calls: CallsRun[];
  latency: LatencyRun[];
}

const bySpread = <R extends { target: ServerName }>(
  runs: R[],
  target: TargetName,
  pick: (r: R) => number | null | undefined,
  filter: (r: R) => boolean = () => true,
): Spread | null => spread(runs.filter((r) => r.target === target && filter(r)).map(pick));

/** Memory per socket count, calls per concurrency, latency: each per target. */
export function summarize(options: SummarizeOptions) {
  const { targets, memory, calls, latency } = options;
  return {
    memory: Object.fromEntries(
      targets.map((t) => [
        t,
        Object.fromEntries(
          options.memorySizes.map((n) => [
            n,
            spread(memory.filter((r) => r.target === t).map((r) => r.points.find((p) => p.n === n)?.kibPerSocket)),
          ]),
        ),
      ]),
    ),
    calls: Object.fromEntries(
      targets.map((t) => [
        t,
        Object.fromEntries(
          options.callConcurrency.map((c) => [
            c,
            {
              cpuSPer1000Calls: bySpread(
                calls,
                t,
                (r) => r.cpuSPer1000Calls,
                (r) => r.concurrency === c,
              ),
              callsPerS: bySpread(
                calls,
                t,
                (r) => r.callsPerS,
                (r) => r.concurrency === c,
              ),
              failed: calls.filter((r) => r.target === t && r.concurrency === c).reduce((s, r) => s + r.failed, 0),
            },
          ]),
        ),
      ]),
    ),
    latency: Object.fromEntries(
      targets.map((t) => [
        t,
        {
          p50Us: bySpread(latency, t, (r) => r.p50Us),
          p99Us: bySpread(latency, t, (r) => r.p99Us),
          maxUs: bySpread(latency, t, (r) => r.maxUs),
          lost: latency.filter((r) => r.target === t).reduce((s, r) => s + r.lost, 0),
        },
      ]),
    ),
  };
}
