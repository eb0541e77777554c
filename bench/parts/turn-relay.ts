/**
 * The TURN part of the benchmark (`npm run bench -- --parts turn`): relayed calls (~1.5 Mbit/s
 * each way in 1,100-byte packets) through HomeCall's built-in TURN server and through Debian's
 * coturn on the same machine, in the same run, window after window alternating between them
 * (A B, then B A), with a relay-less floor (leg to leg over loopback) alternated in as well.
 * Measured per target: server CPU per 1,000 relayed packets, packets lost, transit time p50/p99
 * and what the relay adds to it, and (from a ramp of concurrent calls, also alternated) how many
 * calls one core carries. A third target alternates with these two: the built-in server with its
 * main event loop blocked `mainStall.ms` every `mainStall.periodMs` (bench/lib/main-stall.mjs),
 * the stalls of a busy signalling thread, to show whether relayed media waits for them. On its
 * own it prints one JSON document; `--docs` writes its section
 * of docs/performance.md (table and bar chart):
 *
 *   npm run build:server && node --import tsx bench/parts/turn-relay.ts [--reps 3] [--calls 20] [--docs]
 *
 * `--cpu-prof` instead runs only the built-in server, under `node --cpu-prof`, for `--reps`
 * windows at `--calls`, and prints where its threads spent their time (bench/profile-summary.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarizeProfile } from '../profile-summary.js';
import { TURN_RELAY_SECTION, turnRelayMarkdown } from '../lib/turn-relay-report.js';
import { round, spread } from '../lib/stats.js';
import { repoDir } from '../lib/targets.js';
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
  /** The main-loop stall of the third target; null leaves that target out. */
  mainStall: { ms: number; periodMs: number } | null;
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
  /** The built-in server with its main event loop stalled (no ramp), when configured. */
  mainBusy: TargetFigures | null;
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

function parseStall(text: string): TurnRelayConfig['mainStall'] {
  if (text === 'none') return null;
  const [ms, periodMs] = text.split('/').map(Number);
  if (!(ms! > 0 && periodMs! > ms!)) throw new Error(`--main-stall wants <ms>/<period ms> or none, not ${text}`);
  return { ms: ms!, periodMs: periodMs! };
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
    const busy =
      cfg.mainStall === null ? null : await startBuiltinTurn(workDir, { name: MAIN_BUSY, mainStall: cfg.mainStall });
    if (busy !== null) targets.push(busy);
    const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
    const floor: { p50: number | null; p99: number | null }[] = [];
    for (let rep = 0; rep < cfg.reps; rep++) {
      // A B, then B A: a drift in the machine's load does not favour one side.
      for (const target of rep % 2 === 0 ? targets : [...targets].reverse()) {
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

    // The ramp, both targets at each step (alternating which goes first); a target leaves the
    // ramp at its first step with loss.
    const ramped = targets.filter((t) => t !== busy);
    const ramps = new Map<string, TargetFigures['ramp']>(targets.map((t) => [t.name, []]));
    for (const [step, calls] of cfg.ramp.entries()) {
      for (const target of step % 2 === 0 ? ramped : [...ramped].reverse()) {
        const ramp = ramps.get(target.name)!;
        if (ramp.some((r) => r.lossPct > 0.5)) continue;
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
      }
    }

    const figures = {} as Record<string, TargetFigures>;
    for (const target of targets) {
      const ms = runs.get(target.name)!;
      const p50 = med(ms.map((m) => percentile(m.window.transitMs, 0.5)));
      const p99 = med(ms.map((m) => percentile(m.window.transitMs, 0.99)));
      const ramp = ramps.get(target.name)!;
      figures[target.name] = {
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
    const builtin = figures['built-in']!;
    const coturn = figures.coturn!;
    const b = builtin.cpuPer1kPacketsMs;
    const c = coturn.cpuPer1kPacketsMs;
    return {
      config: { ...cfg, packetsPerSec: round(PACKETS_PER_SEC, 1), payloadBytes: 1100 },
      floor: { transitP50Ms: floorP50, transitP99Ms: floorP99 },
      targets: { 'built-in': builtin, coturn },
      mainBusy: figures[MAIN_BUSY] ?? null,
      cpuRatio: b !== null && c !== null && c > 0 ? b / c : null,
    };
  } finally {
    for (const t of targets) await t.stop();
  }
}

/** The built-in server alone under `node --cpu-prof`: one summary per thread's profile. */
export async function profileBuiltinTurn(options: TurnRelayOptions): Promise<Record<string, unknown>> {
  const { config: cfg, workDir } = options;
  const log = options.log ?? console.log;
  const profDir = join(workDir, 'cpu-prof');
  mkdirSync(profDir, { recursive: true });
  const target = await startBuiltinTurn(workDir, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  const windows: { received: number; sent: number; cpuPer1kPacketsMs: number | null; p99Ms: number | null }[] = [];
  try {
    for (let rep = 0; rep < cfg.reps; rep++) {
      const m = await measure(target, cfg.calls, cfg);
      windows.push({
        received: m.window.received,
        sent: m.window.sent,
        cpuPer1kPacketsMs: m.window.received > 0 ? round((1e6 * m.cpuSeconds) / m.window.received, 3) : null,
        p99Ms: percentile(m.window.transitMs, 0.99),
      });
      log(`  turn built-in (profiled) rep ${rep + 1}: ${m.window.received}/${m.window.sent} packets`);
    }
  } finally {
    await target.stop();
  }
  const profiles = [];
  for (const file of readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))) {
    profiles.push(await summarizeProfile(join(profDir, file), repoDir));
  }
  return { windows, profiles };
}

/** The name of the third target, the built-in server with a stalled main event loop. */
const MAIN_BUSY = 'built-in, main loop stalled';

/** Full-run settings (`npm run bench`; the targets are stated at 20 calls). */
export const TURN_RELAY_FULL: TurnRelayConfig = {
  reps: 3,
  calls: 20,
  warmupMs: 1000,
  windowMs: 5000,
  ramp: [20, 40, 80, 160],
  // 150 ms of every second: a long signalling burst or major GC, 15 % of a core.
  mainStall: { ms: 150, periodMs: 1000 },
};
/** A few seconds (`--smoke`, or `--parts turn --smoke`). */
export const TURN_RELAY_SMOKE: TurnRelayConfig = {
  reps: 1,
  calls: 2,
  warmupMs: 300,
  windowMs: 1000,
  ramp: [2],
  mainStall: { ms: 150, periodMs: 1000 },
};

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: String(TURN_RELAY_FULL.reps) },
      calls: { type: 'string', default: String(TURN_RELAY_FULL.calls) },
      'window-ms': { type: 'string', default: String(TURN_RELAY_FULL.windowMs) },
      ramp: { type: 'string', default: TURN_RELAY_FULL.ramp.join(',') },
      docs: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      /** `<ms>/<period ms>` of the stalled target, or `none`. */
      'main-stall': { type: 'string', default: '150/1000' },
    },
  });
  const config: TurnRelayConfig = {
    ...TURN_RELAY_FULL,
    reps: Number(values.reps),
    calls: Number(values.calls),
    windowMs: Number(values['window-ms']),
    ramp: values.ramp.split(',').map(Number),
    mainStall: parseStall(values['main-stall']),
  };
  const workDir = mkdtempSync(join(tmpdir(), 'hct-turn-relay-'));
  if (values['cpu-prof']) {
    const profiled = await profileBuiltinTurn({ config, workDir, log: (l) => console.error(l) }).finally(() =>
      rmSync(workDir, { recursive: true, force: true }),
    );
    console.log(JSON.stringify(profiled, null, 2));
    process.exit(0);
  }
  const result = await runTurnRelay({ config, workDir, log: (l) => console.error(l) }).finally(() =>
    rmSync(workDir, { recursive: true, force: true }),
  );
  console.log(JSON.stringify(result, null, 2));
  if (values.docs) {
    const file = join(repoDir, 'docs', 'performance.md');
    const command = `node --import tsx bench/parts/turn-relay.ts ${process.argv.slice(2).join(' ')}`.trim();
    const section = turnRelayMarkdown(result, command, loadavg());
    writeFileSync(file, TURN_RELAY_SECTION.replace(readFileSync(file, 'utf8'), section));
  }
}
