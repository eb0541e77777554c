/** Part 2, "calls": call setup cost (server CPU per 1,000 calls) and throughput, per concurrency. */
import { type CallsRun, runCalls } from '../lib/calls-run.js';
import { type PartOptions, targetsInOrder, withServer } from '../lib/with-server.js';

export interface CallsOptions extends PartOptions {
  reps: number;
  /** Call loops at once, one window each, on the same server. */
  concurrency: number[];
  warmupMs: number;
  windowMs: number;
}

/** Every repetition on every target (a fresh server each, the order reversed every other repetition), every concurrency in turn. */
export async function measureCalls(options: CallsOptions): Promise<CallsRun[]> {
  const { env, warmupMs, windowMs, log } = options;
  const runs: CallsRun[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const target of targetsInOrder(options.targets, rep)) {
      await withServer({ env, target, label: `calls-${target}-${rep}` }, async (server, gen) => {
        for (const concurrency of options.concurrency)
          runs.push(await runCalls({ server, gen, target, rep, concurrency, warmupMs, windowMs, log }));
      });
    }
  }
  return runs;
}
