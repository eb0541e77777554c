/** The end of a capacity measurement: hold the sockets, sample event-loop lag, extrapolate to the limit. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CapacityConfig } from './bench-config.js';
import { round } from './stats.js';
import type { RunningServer, ServerName, TargetName } from './targets.js';

export interface CapacityRun {
  target: TargetName;
  baselineRssBytes: number;
  held: number;
  rssBytes: number;
  reachedLimit: boolean;
  stoppedBy: string;
  kibPerSocket: number;
  /** Sockets that fit in the limit at the measured cost per socket. */
  estimatedCapacity: number;
  failed: number;
  stillOpen: number;
  lag: { p50Ms: number; p99Ms: number; maxMs: number; count: number } | null;
  lagUnder50Ms: boolean | null;
  rampMs: number;
}

export interface HoldOptions {
  server: RunningServer<ServerName>;
  target: TargetName;
  capacity: CapacityConfig;
  baselineRssBytes: number;
  held: number;
  failed: number;
  stillOpen: number;
  stoppedBy: string;
  rampMs: number;
  log: (msg: string) => void;
}

/** Holds `held` waiting sockets for `capacity.holdMs`, then reads RSS and the lag over the hold. */
export async function holdForCapacity(options: HoldOptions): Promise<CapacityRun> {
  const { server, target, baselineRssBytes, held, failed, stillOpen, stoppedBy, rampMs } = options;
  const c = options.capacity;
  options.log(
    `  capacity ${target}: ${held} waiting, RSS ${round(server.rss() / 1024 ** 2, 0)} MiB (${stoppedBy}); holding ${c.holdMs / 1000} s for event-loop lag`,
  );
  await server.lag();
  await sleep(c.holdMs);
  const lag = await server.lag();
  const rss = server.rss();
  const kibPerSocket = held > 0 ? (rss - baselineRssBytes) / held / 1024 : 0;
  return {
    target,
    baselineRssBytes,
    held,
    rssBytes: rss,
    reachedLimit: rss >= c.rssLimitBytes,
    stoppedBy,
    kibPerSocket: round(kibPerSocket),
    estimatedCapacity: kibPerSocket > 0 ? Math.floor((c.rssLimitBytes - baselineRssBytes) / (kibPerSocket * 1024)) : 0,
    failed,
    stillOpen,
    lag,
    lagUnder50Ms: lag === null ? null : lag.p99Ms < 50,
    rampMs,
  };
}
