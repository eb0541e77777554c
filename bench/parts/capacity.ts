/** Part 4, "capacity": waiting sockets opened in batches until 2 GiB RSS (or a cap), then held. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CapacityConfig } from '../lib/bench-config.js';
import { type CapacityRun, holdForCapacity } from '../lib/capacity-hold.js';
import type { TargetName } from '../lib/targets.js';
import { type PartOptions, withServer } from '../lib/with-server.js';

export interface CapacityOptions extends PartOptions {
  capacity: CapacityConfig;
  settleMs: number;
}

/** One ramp per target, each on a fresh server. */
export async function measureCapacity(options: CapacityOptions): Promise<CapacityRun[]> {
  const runs: CapacityRun[] = [];
  for (const t of options.targets) runs.push(await capacityRun(options, t));
  return runs;
}

function capacityRun(options: CapacityOptions, target: TargetName): Promise<CapacityRun> {
  const c = options.capacity;
  return withServer({ env: options.env, target, label: `capacity-${target}` }, async (server, gen) => {
    await sleep(options.settleMs);
    const baselineRssBytes = server.rss();
    const t0 = Date.now();
    let held = 0;
    let failed = 0;
    let stillOpen = 0;
    let rss = baselineRssBytes;
    let stoppedBy = 'socket cap';
    while (held < c.maxSockets) {
      if (rss >= c.rssLimitBytes) {
        stoppedBy = 'RSS limit';
        break;
      }
      if (Date.now() - t0 > c.maxMs) {
        stoppedBy = 'time cap';
        break;
      }
      // Near the limit, smaller steps so the count is not overshot by a whole batch.
      const perSocket = held > 0 ? (rss - baselineRssBytes) / held : 20 * 1024;
      const room = Math.floor((c.rssLimitBytes - rss) / perSocket);
      const n = Math.max(100, Math.min(c.batch, c.maxSockets - held, room));
      const r = await gen.call<{ opened: number; failed: number; stillOpen: number }>('idle', { n, concurrency: 200 });
      held += r.opened;
      failed += r.failed;
      stillOpen = r.stillOpen;
      rss = server.rss();
      if (r.opened === 0) {
        stoppedBy = 'server refused more';
        break;
      }
    }
    return holdForCapacity({
      server,
      target,
      capacity: c,
      baselineRssBytes,
      held,
      failed,
      stillOpen,
      stoppedBy,
      rampMs: Date.now() - t0,
      log: options.log,
    });
  });
}
