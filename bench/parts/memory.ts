/** Part 1, "memory": RSS per waiting participant at growing socket counts, per target, alternating. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CapacityConfig } from '../lib/bench-config.js';
import { type CapacityRun, holdForCapacity } from '../lib/capacity-hold.js';
import { round } from '../lib/stats.js';
import type { TargetName } from '../lib/targets.js';
import { type PartOptions, targetsInOrder, withServer } from '../lib/with-server.js';

export interface MemoryRun {
  target: TargetName;
  rep: number;
  baselineRssBytes: number;
  points: Array<{
    n: number;
    rssBytes: number;
    kibPerSocket: number;
    failed: number;
    stillOpen: number;
    openMs: number;
  }>;
  capacity?: CapacityRun;
}

export interface MemoryOptions extends PartOptions {
  reps: number;
  smoke: boolean;
  /** Waiting-socket counts, ascending. */
  sizes: number[];
  settleMs: number;
  /** Set when the capacity figure is taken in the first repetition (descriptor cap). */
  capacity: CapacityConfig | null;
}

/** Runs every repetition on every target (the order reversed every other repetition); each run on a fresh server. */
export async function measureMemory(options: MemoryOptions): Promise<MemoryRun[]> {
  const runs: MemoryRun[] = [];
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const t of targetsInOrder(options.targets, rep)) runs.push(await memoryRun(options, t, rep));
  }
  return runs;
}

function memoryRun(options: MemoryOptions, target: TargetName, rep: number): Promise<MemoryRun> {
  const { settleMs, log } = options;
  return withServer({ env: options.env, target, label: `memory-${target}-${rep}` }, async (server, gen) => {
    await sleep(settleMs);
    const baselineRssBytes = server.rss();
    const points: MemoryRun['points'] = [];
    let have = 0;
    const t0 = Date.now();
    // The largest count takes most of the part's time; within the 15-minute budget it is
    // measured in the first repetition only (it also gives the capacity figure there).
    const sizes = rep === 1 || options.smoke ? options.sizes : options.sizes.slice(0, -1);
    for (const n of sizes) {
      const r = await gen.call<{ opened: number; failed: number; stillOpen: number; ms: number }>('idle', {
        n: n - have,
        concurrency: 200,
      });
      have = n;
      await sleep(settleMs);
      const rss = server.rss();
      points.push({
        n,
        rssBytes: rss,
        kibPerSocket: round((rss - baselineRssBytes) / n / 1024),
        failed: r.failed,
        stillOpen: r.stillOpen,
        openMs: r.ms,
      });
      log(
        `  memory ${target} rep ${rep}: ${n} waiting -> ${round((rss - baselineRssBytes) / n / 1024)} KiB each (failed ${r.failed}, open ${r.stillOpen}, ${r.ms} ms)`,
      );
    }
    const run: MemoryRun = { target, rep, baselineRssBytes, points };
    if (options.capacity !== null && rep === 1) {
      // The descriptor cap stops the capacity ramp at the memory run's top count anyway, so the
      // capacity figure is taken here: held at the top count, extrapolated to 2 GiB.
      const top = points[points.length - 1]!;
      run.capacity = await holdForCapacity({
        server,
        target,
        capacity: options.capacity,
        baselineRssBytes,
        held: top.n - top.failed,
        failed: top.failed,
        stillOpen: top.stillOpen,
        stoppedBy: 'descriptor cap',
        rampMs: Date.now() - t0,
        log,
      });
    }
    return run;
  });
}
