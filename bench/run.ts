/**
 * `npm run bench`: HomeCall against the floor relay, A B A B, on loopback only.
 *
 *   npm run bench                      the full run (about 10-12 minutes on 2 cores)
 *   npm run bench -- --smoke           a few seconds, tiny counts (CI)
 *   npm run bench -- --parts calls,latency --reps 1
 *   npm run bench -- --profile         adds a `node --cpu-prof` run of HomeCall under call load
 *   npm run bench -- --help            the flags and parts
 *
 * This file only parses the flags, chooses the parts and prints the results; each part is one
 * file in bench/parts/ that starts and stops (in a `finally`) everything it needs.
 * Writes bench/results/<date>.json and .svg and docs/performance.md: the whole file after a run
 * of every part, only the measured parts' own sections after a run of some (bench/report.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { benchConfig } from './lib/bench-config.js';
import { ensureServerBuild } from './lib/build.js';
import type { CallsRun } from './lib/calls-run.js';
import type { CapacityRun } from './lib/capacity-hold.js';
import { makeCert } from './lib/cert.js';
import { fdHardLimit, NOFILE } from './lib/proc.js';
import { round } from './lib/stats.js';
import { summarize } from './lib/summarize.js';
import { benchDir, HOMECALL_LOAD_FLAGS, repoDir, type TargetName } from './lib/targets.js';
import type { ServerEnv } from './lib/with-server.js';
import { type BrowserResult, measureBrowser } from './parts/browser.js';
import { measureCalls } from './parts/calls.js';
import { measureCapacity } from './parts/capacity.js';
import { type LatencyRun, measureLatency } from './parts/latency.js';
import { type MemoryRun, measureMemory } from './parts/memory.js';
import { type MultiNodeSummary, runMultiNode } from './parts/multi-node.js';
import { profileCalls } from './parts/profile.js';
import { PROXY_COST_FULL, PROXY_COST_SMOKE, type ProxyCostResult, runProxyCost } from './parts/proxy-cost.js';
import { measureRecovery, type RecoveryResult } from './parts/recovery.js';
import { runTurnRelay, TURN_RELAY_FULL, TURN_RELAY_SMOKE, type TurnRelayResult } from './parts/turn-relay.js';
import { writeReport } from './report.js';

const ALL_PARTS = [
  'memory',
  'calls',
  'latency',
  'capacity',
  'browser',
  'multi-node',
  'recovery',
  'turn',
  'proxy',
] as const;
type Part = (typeof ALL_PARTS)[number];
const SMOKE_PARTS = 'memory,calls,latency,capacity';

const USAGE = `npm run bench -- [flags]

  --parts LIST     comma-separated, from: ${ALL_PARTS.join(', ')}
                   (default: all; with --smoke: ${SMOKE_PARTS})
  --smoke          a few seconds, tiny counts (CI)
  --reps N         repetitions (default 3; 1 with --smoke)
  --targets LIST   homecall,floor (default both)
  --out DIR        results directory (default bench/results)
  --no-docs        do not touch docs/performance.md (by default: all parts rewrite it,
                   some parts replace only their own sections in it)
  --no-build       never build; report a missing build instead
  --profile        adds a node --cpu-prof run of each target under call load
  --cpu-prof-dir D multi-node part: every node runs under node --cpu-prof, profiles in D
  --full-tls       no TLS session resumption in the generator
  --help           this text
`;

const { values: flags } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    parts: { type: 'string' },
    reps: { type: 'string' },
    targets: { type: 'string', default: 'homecall,floor' },
    out: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
    'full-tls': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const smoke = flags.smoke;
const parts = new Set<Part>(
  (flags.parts ?? (smoke ? SMOKE_PARTS : ALL_PARTS.join(','))).split(',').map((p) => {
    if (!(ALL_PARTS as readonly string[]).includes(p))
      throw new Error(`unknown part "${p}"; parts: ${ALL_PARTS.join(', ')}`);
    return p as Part;
  }),
);

const CFG = benchConfig(smoke);
const reps = flags.reps === undefined ? CFG.reps : Number(flags.reps);

// One process holds at most its descriptor limit in sockets; where the limit cannot be raised
// (no CAP_SYS_RESOURCE), socket counts above it are measured at the largest count that fits.
const fdLimit = fdHardLimit();
const socketCap = fdLimit - 500;
const socketCapNote =
  fdLimit >= NOFILE
    ? null
    : `this machine's hard RLIMIT_NOFILE is ${fdLimit} and cannot be raised (no CAP_SYS_RESOURCE), so one server process holds at most ~${socketCap.toLocaleString('en-US')} sockets: larger counts are measured at ${socketCap.toLocaleString('en-US')}, and capacity within 2 GiB is extrapolated from the cost per socket there`;
const wantedMemorySizes = CFG.memorySizes;
// When one process cannot hold enough sockets to reach 2 GiB, a separate capacity ramp would
// stop at the same count as the memory run: the first memory repetition holds and samples lag.
const capacityFromMemory = parts.has('memory') && parts.has('capacity') && fdLimit < NOFILE;
CFG.memorySizes = [...new Set(CFG.memorySizes.map((n) => Math.min(n, socketCap)))];
CFG.capacity.maxSockets = Math.min(CFG.capacity.maxSockets, socketCap);

const started = new Date();
/** Parts not started by then are skipped (and reported as such): the run must end within 15 min. */
const PART_DEADLINE_MS = 12 * 60_000;
const skipped: string[] = [];
const log = (msg: string) =>
  process.stdout.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
/** Whether `part` was chosen and there is still time to start it. */
const runs = (part: Part | 'profile') => {
  if (part !== 'profile' && !parts.has(part)) return false;
  if (Date.now() - started.getTime() < PART_DEADLINE_MS) return true;
  skipped.push(part);
  log(`skipping ${part}: the run is past ${PART_DEADLINE_MS / 60_000} minutes`);
  return false;
};

const unavailable: Record<string, string> = {};
/** Runs a part whose failure (a missing program, no root) must not cost the other parts' results. */
async function orUnavailable<T>(key: string, part: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (e) {
    unavailable[key] = (e as Error).message.split('\n')[0] ?? String(e);
    log(`${part} part failed: ${unavailable[key]}`);
    return null;
  }
}

const workDir = mkdtempSync(join(tmpdir(), 'homecall-bench-'));
try {
  const env: ServerEnv = { cert: await makeCert(workDir), workDir, resumeTls: !flags['full-tls'] };
  const requested = flags.targets.split(',') as TargetName[];
  if (requested.includes('homecall')) {
    const why = ensureServerBuild({ noBuild: flags['no-build'], log });
    if (why !== null) unavailable.homecall = why;
  }
  const targets = requested.filter((t) => unavailable[t] === undefined);
  if (unavailable.homecall !== undefined) log(`HomeCall not measured: ${unavailable.homecall}`);

  let memoryRuns: MemoryRun[] = [];
  let callsRuns: CallsRun[] = [];
  let latencyRuns: LatencyRun[] = [];
  let capacityRuns: CapacityRun[] = [];
  let browser: BrowserResult | null = null;
  let multiNode: MultiNodeSummary | null = null;
  let recovery: RecoveryResult | null = null;
  let turnRelay: TurnRelayResult | null = null;
  let profile: Record<string, unknown> | null = null;
  let proxyCost: ProxyCostResult | null = null;

  log(
    `mode ${smoke ? 'smoke' : 'full'}; parts ${[...parts].join(', ')}; ${reps} repetition(s); targets ${targets.join(', ')}; work dir ${workDir}`,
  );
  if (runs('memory')) {
    log('1. memory per waiting participant');
    memoryRuns = await measureMemory({
      env,
      targets,
      reps,
      smoke,
      sizes: CFG.memorySizes,
      settleMs: CFG.settleMs,
      capacity: capacityFromMemory ? CFG.capacity : null,
      log,
    });
  }
  if (runs('calls')) {
    log('2. call setup cost and throughput');
    callsRuns = await measureCalls({
      env,
      targets,
      reps,
      concurrency: CFG.callConcurrency,
      warmupMs: CFG.callWarmupMs,
      windowMs: CFG.callWindowMs,
      log,
    });
  }
  if (runs('latency')) {
    log('3. relay latency');
    latencyRuns = await measureLatency({ env, targets, reps, latency: CFG.latency, log });
  }
  if (runs('capacity')) {
    if (capacityFromMemory) {
      log('4. capacity within 2 GiB RSS: taken in the first memory repetition (descriptor cap)');
      capacityRuns = memoryRuns.flatMap((m) => (m.capacity === undefined ? [] : [m.capacity]));
    } else {
      log('4. capacity within 2 GiB RSS');
      capacityRuns = await measureCapacity({ env, targets, capacity: CFG.capacity, settleMs: CFG.settleMs, log });
    }
  }
  if (runs('browser')) {
    log('5. browser: second page opens the link -> first decoded remote frame on both sides');
    const r = await measureBrowser({ env, targets, runs: CFG.browserRuns, noBuild: flags['no-build'], log });
    browser = r.browser;
    Object.assign(unavailable, r.unavailable);
  }
  if (runs('multi-node')) {
    log('6. multi-node: two nodes + Redis against one node (calls/s, CPU per 1,000 calls, relay p50/p99)');
    multiNode = await orUnavailable('multiNode', 'multi-node', () =>
      runMultiNode({
        calls: smoke ? 40 : 600,
        reps: smoke ? 1 : reps,
        samples: smoke ? 200 : 2000,
        concurrency: smoke ? 4 : 20,
        warmupCalls: smoke ? 8 : 100,
        pair: !smoke,
        ...(flags['cpu-prof-dir'] === undefined ? {} : { cpuProfDir: flags['cpu-prof-dir'] }),
        log,
      }),
    );
  }
  if (runs('recovery')) {
    log('7. one home changes its public address mid-call -> media back both ways (namespaces, built-in relay)');
    recovery = await orUnavailable('recovery', 'recovery', () => measureRecovery({ runs: smoke ? 1 : 5, log }));
  }
  if (runs('turn')) {
    log('8. TURN relay: built-in against coturn, relayed calls at ~1.5 Mbit/s each way, alternating');
    const config = smoke ? TURN_RELAY_SMOKE : TURN_RELAY_FULL;
    turnRelay = await orUnavailable('turnRelay', 'turn', () => runTurnRelay({ config, workDir, log }));
  }
  if (runs('proxy')) {
    log('9. behind a TLS-terminating proxy (plain ws): HomeCall --trust-proxy, the plain-ws floor, peerjs-server');
    if (unavailable.homecall !== undefined) unavailable.proxyCost = `HomeCall not built: ${unavailable.homecall}`;
    else
      proxyCost = await orUnavailable('proxyCost', 'proxy', () =>
        runProxyCost({ env, config: smoke ? PROXY_COST_SMOKE : PROXY_COST_FULL, log }),
      );
  }
  if (flags.profile && runs('profile')) {
    profile = await profileCalls({
      env,
      targets,
      keepDir: join(flags.out ?? join(benchDir, 'results'), 'profiles'),
      concurrency: CFG.callConcurrency[0]!,
      warmupMs: CFG.callWarmupMs,
      windowMs: CFG.callWindowMs,
      log,
    });
  }

  const cpu = cpus();
  const results = {
    meta: {
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationS: Math.round((Date.now() - started.getTime()) / 1000),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      mode: smoke ? 'smoke' : 'full',
      parts: [...parts],
      reps,
      config: CFG,
      node: process.version,
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        memGiB: round(totalmem() / 1024 ** 3, 1),
        freeMemGiB: round(freemem() / 1024 ** 3, 1),
        kernel: release(),
      },
      loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
      gitCommit: (() => {
        try {
          return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoDir }).toString().trim();
        } catch {
          return null;
        }
      })(),
      homecallFlags: ['--log-level', 'info', '--turn-port', '0', ...HOMECALL_LOAD_FLAGS],
      tlsSessionResumption: env.resumeTls,
      fdLimit,
      socketCap,
      socketCapNote,
      wantedMemorySizes,
      unavailable,
      skipped,
    },
    summary: summarize({
      targets,
      memorySizes: CFG.memorySizes,
      callConcurrency: CFG.callConcurrency,
      memory: memoryRuns,
      calls: callsRuns,
      latency: latencyRuns,
    }),
    memory: memoryRuns,
    calls: callsRuns,
    latency: latencyRuns,
    capacity: capacityRuns,
    browser,
    multiNode,
    recovery,
    turnRelay,
    proxyCost,
    profile,
  };

  const outDir = flags.out ?? join(benchDir, 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = started
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const jsonFile = join(outDir, `${stamp}${smoke ? '-smoke' : ''}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${relative(repoDir, jsonFile) || jsonFile}`);
  // Only a run of every part rewrites the whole file; a run of some parts replaces the sections
  // of those parts and keeps every other figure with the run that measured it.
  const allParts = ALL_PARTS.every((p) => parts.has(p));
  const docs = smoke || flags['no-docs'] ? 'none' : allParts ? 'full' : 'sections';
  const report = writeReport(results, jsonFile, { docs });
  log(
    report.docsFile === null
      ? `chart: ${report.svgFile}`
      : `summary: ${relative(repoDir, report.docsFile)}, chart: ${relative(repoDir, report.svgFile)}`,
  );
  for (const line of report.targetLines) log(line);
} finally {
  // Every server, generator, browser and redis-server was stopped by its part; the work
  // directory (certificate, server logs) goes whether the run ended or a part threw.
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(0);
