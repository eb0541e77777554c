/**
 * `npm run bench`: HomeCall against the floor relay, A B A B, on loopback only.
 *
 *   npm run bench                      the full run (about 10-12 minutes on 2 cores)
 *   npm run bench -- --smoke           a few seconds, tiny counts (CI)
 *   npm run bench -- --parts calls,latency --reps 1
 *   npm run bench -- --profile         adds a `node --cpu-prof` run of HomeCall under call load
 *
 * Flags: --parts memory,calls,latency,capacity,browser,multi-node,recovery  --reps N  --targets homecall,floor
 *        --out DIR (results; default bench/results)  --no-docs (do not rewrite docs/performance.md)
 *        --no-build  --profile  --full-tls (no TLS session resumption in the generator)
 * Writes bench/results/<date>.json and .svg and, for a full run, docs/performance.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, freemem, release, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { runBrowser } from './browser/measure.js';
import { runMultiNode } from './multi-node.js';
import { type CallsMark, measureCallsWindow } from './lib/calls-window.js';
import { makeCert } from './lib/cert.js';
import { Generator } from './lib/gen-client.js';
import { fdHardLimit, NOFILE } from './lib/proc.js';
import { round, type Spread, spread } from './lib/stats.js';
import {
  benchDir,
  HOMECALL_LOAD_FLAGS,
  type RunningServer,
  repoDir,
  serverEntry,
  startServer,
  type TargetName,
} from './lib/targets.js';
import { summarizeProfile } from './profile-summary.js';
import { writeReport } from './report.js';

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
    'full-tls': { type: 'boolean', default: false },
  },
});

const ALL_PARTS = ['memory', 'calls', 'latency', 'capacity', 'browser', 'multi-node', 'recovery'] as const;
type Part = (typeof ALL_PARTS)[number];
const smoke = flags.smoke;
const parts = new Set<Part>(
  (flags.parts ?? (smoke ? 'memory,calls,latency,capacity' : ALL_PARTS.join(','))).split(',').map((p) => {
    if (!(ALL_PARTS as readonly string[]).includes(p))
      throw new Error(`unknown part "${p}"; parts: ${ALL_PARTS.join(', ')}`);
    return p as Part;
  }),
);

/** Every count and time of a run, bounded. The full run fits in 15 minutes on 2 cores. */
const CFG: {
  reps: number;
  memorySizes: number[];
  callConcurrency: number[];
  callWarmupMs: number;
  callWindowMs: number;
  latency: { idlePairs: number; activePairs: number; framesPerSec: number; warmupMs: number; durationMs: number };
  capacity: { rssLimitBytes: number; batch: number; maxSockets: number; maxMs: number; holdMs: number };
  browserRuns: number;
  /** Address changes mid-call in the namespace part (bench/browser/turn-recovery.ts). */
  recoveryRuns: number;
  settleMs: number;
} = smoke
  ? {
      settleMs: 200,
      reps: 1,
      memorySizes: [200],
      callConcurrency: [10],
      callWarmupMs: 300,
      callWindowMs: 1000,
      latency: { idlePairs: 20, activePairs: 5, framesPerSec: 100, warmupMs: 200, durationMs: 1000 },
      capacity: { rssLimitBytes: 2 * 1024 ** 3, batch: 300, maxSockets: 300, maxMs: 10_000, holdMs: 1000 },
      browserRuns: 2,
      recoveryRuns: 1,
    }
  : {
      settleMs: 1000,
      reps: 3,
      memorySizes: [1000, 10_000, 50_000],
      callConcurrency: [50, 200],
      callWarmupMs: 1500,
      callWindowMs: 6000,
      latency: { idlePairs: 1000, activePairs: 100, framesPerSec: 1000, warmupMs: 1000, durationMs: 8000 },
      // Held long enough for one full server ping round (15 s) at capacity.
      capacity: { rssLimitBytes: 2 * 1024 ** 3, batch: 5000, maxSockets: 240_000, maxMs: 150_000, holdMs: 16_000 },
      browserRuns: 10,
      recoveryRuns: 5,
    };
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
const timeLeft = (part: string) => {
  if (Date.now() - started.getTime() < PART_DEADLINE_MS) return true;
  skipped.push(part);
  log(`skipping ${part}: the run is past ${PART_DEADLINE_MS / 60_000} minutes`);
  return false;
};
const log = (msg: string) =>
  process.stdout.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);

// ---- set-up --------------------------------------------------------------------------------

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Builds the production server when its output is missing or older than its sources. */
function ensureServerBuild(): string | null {
  if (!existsSync(join(repoDir, 'src', 'server', 'main.ts'))) return 'src/server/main.ts does not exist yet';
  const src = Math.max(newestMtime(join(repoDir, 'src', 'server')), newestMtime(join(repoDir, 'src', 'shared')));
  const built = existsSync(serverEntry) ? statSync(serverEntry).mtimeMs : 0;
  if (built >= src || flags['no-build'])
    return existsSync(serverEntry) ? null : 'dist/server/main.js missing (--no-build)';
  log('building the server (npm run build:server)');
  const r = spawnSync('npm', ['run', '--silent', 'build:server'], { cwd: repoDir, stdio: 'inherit' });
  return r.status === 0 && existsSync(serverEntry) ? null : `npm run build:server failed (exit ${r.status})`;
}

function ensureWebBuild(): string | null {
  if (!existsSync(join(repoDir, 'src', 'web'))) return 'src/web does not exist yet';
  const out = join(repoDir, 'dist', 'web', 'index.html');
  const src = newestMtime(join(repoDir, 'src', 'web'));
  if (existsSync(out) && (statSync(out).mtimeMs >= src || flags['no-build'])) return null;
  if (flags['no-build']) return 'dist/web missing (--no-build)';
  log('building the web client (npm run build:web)');
  const r = spawnSync('npm', ['run', '--silent', 'build:web'], { cwd: repoDir, stdio: 'inherit' });
  return r.status === 0 && existsSync(out) ? null : `npm run build:web failed (exit ${r.status})`;
}

const workDir = mkdtempSync(join(tmpdir(), 'homecall-bench-'));
const cert = await makeCert(workDir);
const requested = flags.targets.split(',') as TargetName[];
const unavailable: Record<string, string> = {};
if (requested.includes('homecall')) {
  const why = ensureServerBuild();
  if (why !== null) unavailable.homecall = why;
}
const targets = requested.filter((t) => unavailable[t] === undefined);
if (unavailable.homecall !== undefined) log(`HomeCall not measured: ${unavailable.homecall}`);

async function withServer<T>(
  target: TargetName,
  label: string,
  fn: (s: RunningServer, g: Generator) => Promise<T>,
  cpuProfDir?: string,
): Promise<T> {
  const server = await startServer(target, { cert, workDir, label, cpuProfDir });
  let gen: Generator | null = null;
  try {
    await sleep(300);
    gen = await Generator.start(server.url, cert.cert, !flags['full-tls']);
    return await fn(server, gen);
  } finally {
    // The server first: its sockets then close from its side, so the generator's loopback
    // ports do not pile up in TIME_WAIT across runs.
    await server.stop();
    await gen?.stop();
  }
}

// ---- 1. memory per waiting participant ----------------------------------------------------------

interface MemoryRun {
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

async function measureMemory(target: TargetName, rep: number, withCapacity: boolean): Promise<MemoryRun> {
  return withServer(target, `memory-${target}-${rep}`, async (server, gen) => {
    await sleep(CFG.settleMs);
    const baselineRssBytes = server.rss();
    const points: MemoryRun['points'] = [];
    let have = 0;
    const t0 = Date.now();
    // The largest count takes most of the part's time; within the 15-minute budget it is
    // measured in the first repetition only (it also gives the capacity figure there).
    const sizes = rep === 1 || smoke ? CFG.memorySizes : CFG.memorySizes.slice(0, -1);
    for (const n of sizes) {
      const r = await gen.call<{ opened: number; failed: number; stillOpen: number; ms: number }>('idle', {
        n: n - have,
        concurrency: 200,
      });
      have = n;
      await sleep(CFG.settleMs);
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
    if (withCapacity) {
      // The descriptor cap stops the capacity ramp at the memory run's top count anyway, so the
      // capacity figure is taken here: held at the top count, extrapolated to 2 GiB.
      const top = points[points.length - 1]!;
      run.capacity = await holdForCapacity(
        server,
        target,
        baselineRssBytes,
        top.n - top.failed,
        top.failed,
        top.stillOpen,
        'descriptor cap',
        Date.now() - t0,
      );
    }
    return run;
  });
}

async function holdForCapacity(
  server: RunningServer,
  target: TargetName,
  baselineRssBytes: number,
  held: number,
  failed: number,
  stillOpen: number,
  stoppedBy: string,
  rampMs: number,
): Promise<CapacityRun> {
  const c = CFG.capacity;
  log(
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

// ---- 2. call setup cost and throughput ----------------------------------------------------------

interface CallsRun {
  target: TargetName;
  rep: number;
  concurrency: number;
  windowS: number;
  completed: number;
  failed: number;
  serverCpuS: number;
  cpuSPer1000Calls: number | null;
  callsPerS: number;
  generatorCpuS: number;
  callMsP50: number | null;
  callMsP99: number | null;
  errors: Record<string, number>;
}

/** Longest wait for the first calls to end, and for the window's first completion (calls-window.ts). */
const CALLS_WINDOW_BOUND_MS = 15_000;

async function runCalls(
  server: RunningServer,
  gen: Generator,
  target: TargetName,
  rep: number,
  concurrency: number,
): Promise<CallsRun> {
  await gen.call('callsStart', { concurrency });
  const { start: m0, end: m1 } = await measureCallsWindow({
    mark: async () => ({
      ...(await gen.call<Omit<CallsMark, 'serverCpuS'>>('callsMark')),
      serverCpuS: server.cpu(),
    }),
    sleep,
    concurrency,
    warmupMs: CFG.callWarmupMs,
    windowMs: CFG.callWindowMs,
    boundMs: CALLS_WINDOW_BOUND_MS,
  });
  const cpu0 = m0.serverCpuS;
  const cpu1 = m1.serverCpuS;
  const end = await gen.call<{
    callMsP50: number | null;
    callMsP99: number | null;
    failed: number;
    errors: Record<string, number>;
  }>('callsStop');
  const completed = m1.completed - m0.completed;
  const windowS = (m1.at - m0.at) / 1000;
  const run: CallsRun = {
    target,
    rep,
    concurrency,
    windowS: round(windowS, 3),
    completed,
    failed: end.failed,
    serverCpuS: round(cpu1 - cpu0, 3),
    cpuSPer1000Calls: completed > 0 ? round(((cpu1 - cpu0) / completed) * 1000, 3) : null,
    callsPerS: round(completed / windowS, 1),
    generatorCpuS: round(m1.genCpuS - m0.genCpuS, 2),
    callMsP50: end.callMsP50,
    callMsP99: end.callMsP99,
    errors: end.errors,
  };
  log(
    `  calls ${target} rep ${rep} c=${concurrency}: ${run.callsPerS} calls/s, ${run.cpuSPer1000Calls} server CPU-s/1000 calls, failed ${run.failed}`,
  );
  return run;
}

// ---- 3. relay latency -------------------------------------------------------------------------

interface LatencyRun {
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

async function measureLatency(target: TargetName, rep: number): Promise<LatencyRun> {
  return withServer(target, `latency-${target}-${rep}`, async (_server, gen) => {
    const r = await gen.call<Omit<LatencyRun, 'target' | 'rep'>>('latency', CFG.latency);
    log(
      `  latency ${target} rep ${rep}: p50 ${r.p50Us} us, p99 ${r.p99Us} us, max ${r.maxUs} us, lost ${r.lost}/${r.sent}; generator loop delay max ${r.generatorLag.maxMs} ms`,
    );
    return { target, rep, ...r };
  });
}

// ---- 4. capacity within 2 GiB ----------------------------------------------------------------

interface CapacityRun {
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

async function measureCapacity(target: TargetName): Promise<CapacityRun> {
  const c = CFG.capacity;
  return withServer(target, `capacity-${target}`, async (server, gen) => {
    await sleep(CFG.settleMs);
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
    return holdForCapacity(server, target, baselineRssBytes, held, failed, stillOpen, stoppedBy, Date.now() - t0);
  });
}

// ---- 6. recovery after a public-address change (network namespaces) ---------------------------

/** What bench/browser/turn-recovery.ts prints (its RecoveryResult; not imported: browser-test code). */
interface RecoveryResult {
  runs: number;
  recoveryMs: (number | null)[];
  medianMs: number | null;
}

/** bench/browser/turn-recovery.ts in its own process (it drives browsers in namespaces; needs root). */
function runRecoveryChild(runs: number): RecoveryResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(benchDir, 'browser', 'turn-recovery.ts'), '--runs', String(runs)],
    { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: (runs + 2) * 90_000 },
  );
  if (r.status !== 0) throw new Error(`turn-recovery exited with ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as RecoveryResult;
}

// ---- the run ----------------------------------------------------------------------------------

const results: Record<string, unknown> = {};
const memoryRuns: MemoryRun[] = [];
const callsRuns: CallsRun[] = [];
const latencyRuns: LatencyRun[] = [];
const capacityRuns: CapacityRun[] = [];
let browser: Awaited<ReturnType<typeof runBrowser>> | null = null;
let recovery: RecoveryResult | null = null;
let profile: Record<string, unknown> | null = null;
let multiNode: Awaited<ReturnType<typeof runMultiNode>> | null = null;

const bySpread = <R>(
  runs: R[],
  target: TargetName,
  pick: (r: R) => number | null | undefined,
  filter: (r: R) => boolean = () => true,
): Spread | null => spread(runs.filter((r) => (r as { target: TargetName }).target === target && filter(r)).map(pick));

try {
  log(
    `mode ${smoke ? 'smoke' : 'full'}; parts ${[...parts].join(', ')}; ${reps} repetition(s); targets ${targets.join(', ')}; work dir ${workDir}`,
  );
  if (parts.has('memory') && timeLeft('memory')) {
    log('1. memory per waiting participant');
    for (let rep = 1; rep <= reps; rep++) {
      for (const t of targets) memoryRuns.push(await measureMemory(t, rep, capacityFromMemory && rep === 1));
    }
  }
  if (parts.has('calls') && timeLeft('calls')) {
    log('2. call setup cost and throughput');
    for (let rep = 1; rep <= reps; rep++) {
      for (const t of targets) {
        await withServer(t, `calls-${t}-${rep}`, async (server, gen) => {
          for (const c of CFG.callConcurrency) callsRuns.push(await runCalls(server, gen, t, rep, c));
        });
      }
    }
  }
  if (parts.has('latency') && timeLeft('latency')) {
    log('3. relay latency');
    for (let rep = 1; rep <= reps; rep++) for (const t of targets) latencyRuns.push(await measureLatency(t, rep));
  }
  if (parts.has('capacity') && timeLeft('capacity')) {
    if (capacityFromMemory) {
      log('4. capacity within 2 GiB RSS: taken in the first memory repetition (descriptor cap)');
      for (const m of memoryRuns) if (m.capacity !== undefined) capacityRuns.push(m.capacity);
    } else {
      log('4. capacity within 2 GiB RSS');
      for (const t of targets) capacityRuns.push(await measureCapacity(t));
    }
  }
  if (parts.has('browser') && timeLeft('browser')) {
    log('5. browser: second page opens the link -> first decoded remote frame on both sides');
    const webMissing = targets.includes('homecall') ? ensureWebBuild() : null;
    if (webMissing !== null) unavailable.browserHomecall = webMissing;
    try {
      browser = await runBrowser({
        runs: CFG.browserRuns,
        targets: targets.filter((t) => t !== 'homecall' || webMissing === null),
        start: (t, label) => startServer(t, { cert, workDir, label }),
        log,
      });
    } catch (e) {
      // A missing /usr/bin/chromium must not cost the other parts' results.
      unavailable.browser = (e as Error).message.split('\n')[0] ?? String(e);
      log(`browser part failed: ${unavailable.browser}`);
    }
  }
  if (parts.has('multi-node') && timeLeft('multi-node')) {
    log('6. multi-node: two nodes + Redis against one node (calls/s, CPU per 1,000 calls, relay p50/p99)');
    try {
      multiNode = await runMultiNode({
        calls: smoke ? 40 : 600,
        reps: smoke ? 1 : reps,
        samples: smoke ? 200 : 2000,
        concurrency: smoke ? 4 : 20,
        log,
      });
    } catch (e) {
      // A missing redis-server must not cost the other parts' results.
      unavailable.multiNode = (e as Error).message.split('\n')[0] ?? String(e);
      log(`multi-node part failed: ${unavailable.multiNode}`);
    }
  }
  if (parts.has('recovery') && timeLeft('recovery')) {
    log('7. TURN: one home changes its public address mid-call -> media back both ways (namespaces, built-in relay)');
    try {
      recovery = runRecoveryChild(CFG.recoveryRuns);
      log(
        `  recovery: ${recovery.recoveryMs.join(', ')} ms; median ${recovery.medianMs} ms over ${recovery.runs} runs`,
      );
    } catch (e) {
      // Namespaces need root; the other parts' results still count.
      unavailable.recovery = (e as Error).message.split('\n')[0] ?? String(e);
      log(`recovery part failed: ${unavailable.recovery}`);
    }
  }
  if (flags.profile && timeLeft('profile')) {
    // Both servers, same load, so the profile can be read as a difference.
    const keep = join(flags.out ?? join(benchDir, 'results'), 'profiles');
    mkdirSync(keep, { recursive: true });
    profile = {};
    for (const t of targets) {
      log(`profile: ${t} under call load with node --cpu-prof`);
      const profDir = join(workDir, `cpu-prof-${t}`);
      mkdirSync(profDir, { recursive: true });
      const run = await withServer(t, `profile-${t}`, (s, g) => runCalls(s, g, t, 0, CFG.callConcurrency[0]!), profDir);
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined) {
        log(`profile: no .cpuprofile from ${t} (did it exit cleanly on SIGTERM?)`);
        continue;
      }
      const kept = join(keep, `${t}-calls.cpuprofile`);
      execFileSync('cp', [join(profDir, file), kept]);
      profile[t] = { calls: run, ...(await summarizeProfile(kept, repoDir)) };
    }
  }
} finally {
  // Nothing of ours keeps running: every server and generator was stopped by withServer.
}

const summary = {
  memory: Object.fromEntries(
    targets.map((t) => [
      t,
      Object.fromEntries(
        CFG.memorySizes.map((n) => [
          n,
          spread(memoryRuns.filter((r) => r.target === t).map((r) => r.points.find((p) => p.n === n)?.kibPerSocket)),
        ]),
      ),
    ]),
  ),
  calls: Object.fromEntries(
    targets.map((t) => [
      t,
      Object.fromEntries(
        CFG.callConcurrency.map((c) => [
          c,
          {
            cpuSPer1000Calls: bySpread(
              callsRuns,
              t,
              (r) => r.cpuSPer1000Calls,
              (r) => r.concurrency === c,
            ),
            callsPerS: bySpread(
              callsRuns,
              t,
              (r) => r.callsPerS,
              (r) => r.concurrency === c,
            ),
            failed: callsRuns.filter((r) => r.target === t && r.concurrency === c).reduce((s, r) => s + r.failed, 0),
          },
        ]),
      ),
    ]),
  ),
  latency: Object.fromEntries(
    targets.map((t) => [
      t,
      {
        p50Us: bySpread(latencyRuns, t, (r) => r.p50Us),
        p99Us: bySpread(latencyRuns, t, (r) => r.p99Us),
        maxUs: bySpread(latencyRuns, t, (r) => r.maxUs),
        lost: latencyRuns.filter((r) => r.target === t).reduce((s, r) => s + r.lost, 0),
      },
    ]),
  ),
};

const cpu = cpus();
Object.assign(results, {
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
    loadAverageAtEnd: (await import('node:os')).loadavg().map((x) => round(x, 2)),
    gitCommit: (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoDir }).toString().trim();
      } catch {
        return null;
      }
    })(),
    homecallFlags: ['--log-level', 'info', '--turn-port', '0', ...HOMECALL_LOAD_FLAGS],
    tlsSessionResumption: !flags['full-tls'],
    fdLimit,
    socketCap,
    socketCapNote,
    wantedMemorySizes,
    unavailable,
    skipped,
  },
  summary,
  memory: memoryRuns,
  calls: callsRuns,
  latency: latencyRuns,
  capacity: capacityRuns,
  browser,
  multiNode,
  recovery,
  profile,
});

const outDir = flags.out ?? join(benchDir, 'results');
mkdirSync(outDir, { recursive: true });
const stamp = started
  .toISOString()
  .replace(/:/g, '-')
  .replace(/\.\d+Z$/, 'Z');
const jsonFile = join(outDir, `${stamp}${smoke ? '-smoke' : ''}.json`);
writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
log(`results: ${relative(repoDir, jsonFile) || jsonFile}`);
const writeDocs = !smoke && !flags['no-docs'];
const report = writeReport(results, jsonFile, { writeDocs });
log(
  report.docsFile === null
    ? `chart: ${report.svgFile}`
    : `summary: ${relative(repoDir, report.docsFile)}, chart: ${relative(repoDir, report.svgFile)}`,
);
for (const line of report.targetLines) log(line);
rmSync(workDir, { recursive: true, force: true });
process.exit(0);
