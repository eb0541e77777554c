/**
 * The TURN part of the benchmark (not yet chosen by bench/run.ts): relayed calls (~1.5 Mbit/s
 * each way in 1,100-byte packets) through HomeCall's built-in TURN server and through Debian's coturn on the same
 * machine, in the same run, window after window alternating between them (A B A B), with a
 * relay-less floor (leg to leg over loopback) alternated in as well. Measured per target:
 * server CPU per 1,000 relayed packets, packets lost, transit time p50/p99 and what the relay
 * adds to it, and (from a ramp of concurrent calls) how many calls one core carries.
 */
import { round, spread } from '../lib/stats.js';
import { directWindow, RelayedCalls, type WindowResult } from '../lib/turn-load.js';
import { type RunningTurn, startBuiltinTurn, startCoturn } from '../lib/turn-targets.js';

/** 1.5 Mbit/s in 1,100-byte packets: about 170 packets per second each way per call. */
export const PACKETS_PER_SEC = 1_500_000 / 8 / 1100;

export interface TurnRelayConfig {
  reps: number;
  /** Concurrent calls of the alternated windows (the targets are stated at 20). */
  calls: number;
  warmupMs: number;
  windowMs: number;
  /** Concurrent calls of the capacity ramp, ascending; it stops at the first step with loss. */
  ramp: number[];
}

export interface TargetFigures {
  cpuPer1kPacketsMs: number | null;
  lostPackets: number;
  sentPackets: number;
  transitP50Ms: number | null;
  transitP99Ms: number | null;
  addedP50Ms: number | null;
  addedP99Ms: number | null;
  /** Server cores busy per call, measured at `calls`; 1 / this = calls one core carries. */
  callsPerCore: number | null;
  ramp: { calls: number; lossPct: number; cores: number; p99Ms: number | null }[];
}

export interface TurnRelayResult {
  config: TurnRelayConfig & { packetsPerSec: number; payloadBytes: number };
  floor: { transitP50Ms: number | null; transitP99Ms: number | null };
  targets: Record<'built-in' | 'coturn', TargetFigures>;
  /** built-in CPU per packet / coturn's (target: at most 3). */
  cpuRatio: number | null;
}

function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

interface Measured {
  window: WindowResult;
  cpuSeconds: number;
  seconds: number;
}

async function measure(target: RunningTurn, calls: number, cfg: TurnRelayConfig): Promise<Measured> {
  const set = await RelayedCalls.open(target, calls);
  try {
    let cpu0 = 0;
    let cpu1 = 0;
    let t0 = 0;
    let t1 = 0;
    const window = await set.run(PACKETS_PER_SEC, cfg.warmupMs, cfg.windowMs, (phase) => {
      if (phase === 'start') [cpu0, t0] = [target.cpu(), performance.now()];
      else [cpu1, t1] = [target.cpu(), performance.now()];
    });
    return { window, cpuSeconds: cpu1 - cpu0, seconds: (t1 - t0) / 1000 };
  } finally {
    await set.close();
  }
}

const med = (xs: (number | null)[]) => spread(xs)?.median ?? null;

export interface TurnRelayOptions {
  config: TurnRelayConfig;
  /** Where the relays keep their configuration and logs. */
  workDir: string;
  log?: (msg: string) => void;
}

/** Both relays alternated, then each one's ramp; both are stopped in a `finally`, even if one fails to start. */
export async function runTurnRelay(options: TurnRelayOptions): Promise<TurnRelayResult> {
  const { config: cfg, workDir } = options;
  const log = options.log ?? console.log;
  const targets: RunningTurn[] = [];
  try {
    targets.push(await startBuiltinTurn(workDir));
    targets.push(await startCoturn(workDir));
    const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
    const floor: { p50: number | null; p99: number | null }[] = [];
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const target of targets) {
        const m = await measure(target, cfg.calls, cfg);
        runs.get(target.name)!.push(m);
        log(
          `  turn ${target.name} rep ${rep + 1}: ${m.window.received}/${m.window.sent} packets, ` +
            `p99 ${round(percentile(m.window.transitMs, 0.99) ?? Number.NaN, 3)} ms`,
        );
      }
      const d = await directWindow(cfg.calls, PACKETS_PER_SEC, cfg.warmupMs, cfg.windowMs);
      floor.push({ p50: percentile(d.transitMs, 0.5), p99: percentile(d.transitMs, 0.99) });
    }
    const floorP50 = med(floor.map((f) => f.p50));
    const floorP99 = med(floor.map((f) => f.p99));

    const figures = {} as Record<'built-in' | 'coturn', TargetFigures>;
    for (const target of targets) {
      const ms = runs.get(target.name)!;
      const p50 = med(ms.map((m) => percentile(m.window.transitMs, 0.5)));
      const p99 = med(ms.map((m) => percentile(m.window.transitMs, 0.99)));
      const ramp: TargetFigures['ramp'] = [];
      for (const calls of cfg.ramp) {
        const m = await measure(target, calls, cfg);
        const lossPct = m.window.sent === 0 ? 0 : (100 * m.window.lost) / m.window.sent;
        const p99Ms = percentile(m.window.transitMs, 0.99);
        ramp.push({
          calls,
          lossPct: round(lossPct, 3),
          cores: round(m.cpuSeconds / m.seconds, 3),
          p99Ms: p99Ms === null ? null : round(p99Ms, 3),
        });
        log(`  turn ${target.name} ramp ${calls} calls: ${round(lossPct, 2)}% lost`);
        if (lossPct > 0.5) break;
      }
      figures[target.name as 'built-in' | 'coturn'] = {
        cpuPer1kPacketsMs: med(
          ms.map((m) => (m.window.received > 0 ? (1e6 * m.cpuSeconds) / m.window.received : null)),
        ),
        lostPackets: ms.reduce((n, m) => n + m.window.lost, 0),
        sentPackets: ms.reduce((n, m) => n + m.window.sent, 0),
        transitP50Ms: p50,
        transitP99Ms: p99,
        addedP50Ms: p50 === null || floorP50 === null ? null : p50 - floorP50,
        addedP99Ms: p99 === null || floorP99 === null ? null : p99 - floorP99,
        callsPerCore: med(ms.map((m) => (m.cpuSeconds > 0 ? (cfg.calls * m.seconds) / m.cpuSeconds : null))),
        ramp,
      };
    }
    const b = figures['built-in'].cpuPer1kPacketsMs;
    const c = figures.coturn.cpuPer1kPacketsMs;
    return {
      config: { ...cfg, packetsPerSec: round(PACKETS_PER_SEC, 1), payloadBytes: 1100 },
      floor: { transitP50Ms: floorP50, transitP99Ms: floorP99 },
      targets: figures,
      cpuRatio: b !== null && c !== null && c > 0 ? b / c : null,
    };
  } finally {
    for (const t of targets) await t.stop();
  }
}
