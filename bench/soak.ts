/**
 * `npm run soak`: the long soak of reliability.md L1 against a spawned server.
 *   npm run soak -- [--sessions 1000] [--duration 30m] [--cycle 5s] [--sample 10s] [--warmup 2m] [--out file.json]
 * Prints progress, then the report (RSS slope, event-loop lag, descriptors and handles, registry
 * sizes before and after, errors, relay latency), and writes it as JSON with --out.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSoak, type SoakReport } from './lib/soak-run.js';

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

function duration(text: string, flag: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`${flag}: "${text}" is not a duration (e.g. 90s, 30m)`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '30m' },
    cycle: { type: 'string', default: '5s' },
    sample: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '2m' },
    out: { type: 'string' },
  },
});

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function summary(r: SoakReport): string {
  const { before, after } = r.idle;
  const errorCount = Object.values(r.errors).reduce((a, b) => a + b, 0);
  return [
    `sessions ${r.options.sessions} (${r.options.sessions * 2} sockets), ${r.options.durationMs / 60_000} min, a cycle every ${r.options.cycleMs / 1000} s: ${r.cycles} cycles`,
    `errors: ${errorCount}${errorCount > 0 ? ` ${JSON.stringify(r.errors)}` : ''}`,
    `relay latency: p50 ${r.latencyMs.p50.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms, max ${r.latencyMs.max.toFixed(1)} ms (${r.latencyMs.samples} frames)`,
    `server RSS: start ${mib(r.rss.startBytes)}, peak ${mib(r.rss.peakBytes)}, end ${mib(r.rss.endBytes)}; slope after warm-up ${r.rss.slopeMiBPerMin.toFixed(3)} MiB/min`,
    `event-loop lag: worst p99 ${r.eventLoopLagMs.worstP99.toFixed(1)} ms, worst max ${r.eventLoopLagMs.worstMax.toFixed(1)} ms`,
    `idle before -> after: fds ${before.fds} -> ${after.fds}, active handles ${before.activeHandles} -> ${after.activeHandles}, sockets ${before.sockets} -> ${after.sockets}, contexts ${before.contexts} -> ${after.contexts}, queued frames ${before.queuedFrames} -> ${after.queuedFrames}, timers ${before.timers} -> ${after.timers}, tombstones ${before.tombstones} -> ${after.tombstones}`,
  ].join('\n');
}

const report = await runSoak({
  sessions: Number(values.sessions),
  durationMs: duration(values.duration, '--duration'),
  cycleMs: duration(values.cycle, '--cycle'),
  sampleMs: duration(values.sample, '--sample'),
  warmupMs: duration(values.warmup, '--warmup'),
  log: (line) => console.log(line),
});
console.log(`\n${summary(report)}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
