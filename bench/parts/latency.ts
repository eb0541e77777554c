/** Part 3, "latency": one frame's relay time A -> B among idle and active pairs. */
import type { LatencyConfig } from '../lib/bench-config.js';
import type { TargetName } from '../lib/targets.js';
import { type PartOptions, targetsInOrder, withServer } from '../lib/with-server.js';

export interface LatencyRun {
  target: TargetName;
  rep: number;
  idlePairs: number;
  activePairs: number;
  sent: number;
  received: number;
  lost: number;
  outOfOrder: number;
  closedEarly: number;
  generatorLag: { p99Ms: number; maxMs: number };
  samples: number;
  p50Us: number | null;
  p99Us: number | null;
  maxUs: number | null;
  errors: Record<string, number>;
}

export interface LatencyOptions extends PartOptions {
  reps: number;
  latency: LatencyConfig;
}

/** Every repetition on every target (the order reversed every other repetition), each on a fresh server. */
export async function measureLatency(options: LatencyOptions): Promise<LatencyRun[]> {
  const runs: LatencyRun[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const target of targetsInOrder(options.targets, rep)) {
      runs.push(
        await withServer({ env: options.env, target, label: `latency-${target}-${rep}` }, async (_server, gen) => {
          const r = await gen.call<Omit<LatencyRun, 'target' | 'rep'>>('latency', { ...options.latency });
          options.log(
            `  latency ${target} rep ${rep}: p50 ${r.p50Us} us, p99 ${r.p99Us} us, max ${r.maxUs} us, lost ${r.lost}/${r.sent}; generator loop delay max ${r.generatorLag.maxMs} ms`,
          );
          return { target, rep, ...r };
        }),
      );
    }
  }
  return runs;
}
