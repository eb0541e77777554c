/**
 * The proxy-cost part (`npm run bench -- --parts proxy`): HomeCall's own cost where a
 * TLS-terminating proxy does the TLS (README recipe B), against the floor relay in plain ws and
 * peerjs-server, in the same run, alternating A B C, C B A, ... Plain ws on loopback for all
 * three, and the generator sends what nginx would pass on (Host, the browser's Origin,
 * X-Forwarded-Proto https, X-Forwarded-For) to each; peerjs-server is driven in its own protocol
 * by the same generator (bench/load-gen.ts, dialect `peerjs`, HEARTBEAT every 5 s).
 * Figures: server CPU-s per 1,000 full calls and calls/s (c=50), KiB per waiting socket (8,000),
 * relay p50/p99 (1,000 idle + 100 active pairs, 1,000 frames/s) and frames lost. Every
 * measurement is on a fresh server. On its own it prints one JSON document; `--docs` writes its
 * section of docs/performance.md:
 *
 *   npm run build:server && node --import tsx bench/parts/proxy-cost.ts [--reps 3] [--docs]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LatencyConfig } from '../lib/bench-config.js';
import { ensureServerBuild } from '../lib/build.js';
import { type CallsRun, runCalls } from '../lib/calls-run.js';
import { makeCert } from '../lib/cert.js';
import type { Generator, GeneratorDialect } from '../lib/gen-client.js';
import { PROXY_COST_SECTION, proxyCostMarkdown } from '../lib/proxy-cost-report.js';
import { round, type Spread, spread } from '../lib/stats.js';
import { type ProxyTargetName, type RunningServer, repoDir, type ServerName } from '../lib/targets.js';
import { type ServerEnv, targetsInOrder, withServer } from '../lib/with-server.js';
import type { LatencyRun } from './latency.js';

export interface ProxyCostConfig {
  reps: number;
  /** Waiting sockets of the memory figure. */
  waiting: number;
  settleMs: number;
  concurrency: number;
  warmupMs: number;
  windowMs: number;
  latency: LatencyConfig;
}

/** The figures of issue 11: 3 repetitions, c=50, 8,000 waiting sockets, 1,000 + 100 pairs at 1,000 frames/s. */
export const PROXY_COST_FULL: ProxyCostConfig = {
  reps: 3,
  waiting: 8000,
  settleMs: 1000,
  concurrency: 50,
  warmupMs: 1500,
  windowMs: 6000,
  latency: { idlePairs: 1000, activePairs: 100, framesPerSec: 1000, warmupMs: 1000, durationMs: 8000 },
};
/** A few seconds per server (`--smoke`, and the CI smoke test). */
export const PROXY_COST_SMOKE: ProxyCostConfig = {
  reps: 1,
  waiting: 100,
  settleMs: 200,
  concurrency: 4,
  warmupMs: 300,
  windowMs: 1000,
  latency: { idlePairs: 10, activePairs: 3, framesPerSec: 60, warmupMs: 200, durationMs: 800 },
};

export const PROXY_TARGETS: readonly ProxyTargetName[] = ['homecall-proxy', 'floor-ws', 'peerjs'];
/** Every target gets the headers nginx adds; peerjs-server its own protocol. */
const SPEAK: Record<ProxyTargetName, GeneratorDialect> = {
  'homecall-proxy': { proxyHeaders: true },
  'floor-ws': { proxyHeaders: true },
  peerjs: { dialect: 'peerjs', proxyHeaders: true },
};

export interface ProxyMemoryRun {
  target: ProxyTargetName;
  rep: number;
  n: number;
  baselineRssBytes: number;
  rssBytes: number;
  kibPerSocket: number;
  failed: number;
  stillOpen: number;
  errors: Record<string, number>;
}
export type ProxyLatencyRun = Omit<LatencyRun, 'target'> & { target: ProxyTargetName };

export interface ProxyFigures {
  cpuSPer1000Calls: Spread | null;
  callsPerS: Spread | null;
  kibPerSocket: Spread | null;
  p50Us: Spread | null;
  p99Us: Spread | null;
  framesSent: number;
  framesLost: number;
  outOfOrder: number;
  failedCalls: number;
  failedSockets: number;
}

export interface ProxyCostResult {
  config: ProxyCostConfig;
  /** The order the targets ran in, per repetition. */
  order: ProxyTargetName[][];
  memory: ProxyMemoryRun[];
  calls: CallsRun[];
  latency: ProxyLatencyRun[];
  figures: Record<ProxyTargetName, ProxyFigures>;
  /**
   * Sockets the generator opened per target and transport over the whole run, as the sockets
   * really were: every target here is behind the proxy, so all of them are `ws`, none `wss`.
   */
  transports: Record<ProxyTargetName, Record<string, number>>;
}

export interface ProxyCostOptions {
  env: ServerEnv;
  config: ProxyCostConfig;
  log: (msg: string) => void;
  /** Directory for `node --cpu-prof` on every server started, when profiling. */
  cpuProfDir?: string;
  /** Only these measurements (diagnosis); all three by default. */
  only?: ReadonlySet<'memory' | 'calls' | 'latency'>;
}

type Transports = Record<ProxyTargetName, Record<string, number>>;

/** withServer, adding the transports the generator used to `seen` once `fn` is done. */
function measure<T>(
  options: ProxyCostOptions,
  seen: Transports,
  target: ProxyTargetName,
  label: string,
  fn: (server: RunningServer<ServerName>, gen: Generator) => Promise<T>,
): Promise<T> {
  const { env, cpuProfDir } = options;
  return withServer(
    { env, target, label, speak: SPEAK[target], ...(cpuProfDir === undefined ? {} : { cpuProfDir }) },
    async (server, gen) => {
      const result = await fn(server, gen);
      const used = await gen.call<Record<string, number>>('transports');
      for (const [k, n] of Object.entries(used)) seen[target][k] = (seen[target][k] ?? 0) + n;
      return result;
    },
  );
}

async function memoryRun(
  options: ProxyCostOptions,
  seen: Transports,
  target: ProxyTargetName,
  rep: number,
): Promise<ProxyMemoryRun> {
  const { config, log } = options;
  return measure(options, seen, target, `proxy-memory-${target}-${rep}`, async (server, gen) => {
    await sleep(config.settleMs);
    const baselineRssBytes = server.rss();
    const r = await gen.call<{ opened: number; failed: number; stillOpen: number; errors: Record<string, number> }>(
      'idle',
      { n: config.waiting, concurrency: 200 },
    );
    await sleep(config.settleMs);
    const rssBytes = server.rss();
    const kibPerSocket = round((rssBytes - baselineRssBytes) / config.waiting / 1024);
    log(
      `  proxy memory ${target} rep ${rep}: ${config.waiting} waiting -> ${kibPerSocket} KiB each (failed ${r.failed})`,
    );
    return {
      target,
      rep,
      n: config.waiting,
      baselineRssBytes,
      rssBytes,
      kibPerSocket,
      failed: r.failed,
      stillOpen: r.stillOpen,
      errors: r.errors,
    };
  });
}

function callsRun(
  options: ProxyCostOptions,
  seen: Transports,
  target: ProxyTargetName,
  rep: number,
): Promise<CallsRun> {
  const { config, log } = options;
  return measure(options, seen, target, `proxy-calls-${target}-${rep}`, (server, gen) =>
    runCalls({
      server,
      gen,
      target,
      rep,
      concurrency: config.concurrency,
      warmupMs: config.warmupMs,
      windowMs: config.windowMs,
      log,
    }),
  );
}

function latencyRun(
  options: ProxyCostOptions,
  seen: Transports,
  target: ProxyTargetName,
  rep: number,
): Promise<ProxyLatencyRun> {
  const { config, log } = options;
  return measure(options, seen, target, `proxy-latency-${target}-${rep}`, async (_server, gen) => {
    const r = await gen.call<Omit<LatencyRun, 'target' | 'rep'>>('latency', { ...config.latency });
    log(
      `  proxy latency ${target} rep ${rep}: p50 ${r.p50Us} us, p99 ${r.p99Us} us, lost ${r.lost}/${r.sent}; generator loop delay max ${r.generatorLag.maxMs} ms`,
    );
    return { target, rep, ...r };
  });
}

/** Every repetition: memory, calls and latency, each over the three targets in this repetition's order. */
export async function runProxyCost(options: ProxyCostOptions): Promise<ProxyCostResult> {
  const { config } = options;
  const memory: ProxyMemoryRun[] = [];
  const calls: CallsRun[] = [];
  const latency: ProxyLatencyRun[] = [];
  const order: ProxyTargetName[][] = [];
  const seen = Object.fromEntries(PROXY_TARGETS.map((t) => [t, {}])) as Transports;
  for (let rep = 1; rep <= config.reps; rep++) {
    // A B C, then C B A: a drift in the machine's load favours no target.
    const targets = targetsInOrder(PROXY_TARGETS, rep);
    order.push(targets);
    const runs = (what: 'memory' | 'calls' | 'latency') => options.only === undefined || options.only.has(what);
    if (runs('memory')) for (const t of targets) memory.push(await memoryRun(options, seen, t, rep));
    if (runs('calls')) for (const t of targets) calls.push(await callsRun(options, seen, t, rep));
    if (runs('latency')) for (const t of targets) latency.push(await latencyRun(options, seen, t, rep));
  }
  const figures = Object.fromEntries(
    PROXY_TARGETS.map((t) => {
      const m = memory.filter((r) => r.target === t);
      const c = calls.filter((r) => r.target === t);
      const l = latency.filter((r) => r.target === t);
      const f: ProxyFigures = {
        cpuSPer1000Calls: spread(c.map((r) => r.cpuSPer1000Calls)),
        callsPerS: spread(c.map((r) => r.callsPerS)),
        kibPerSocket: spread(m.map((r) => r.kibPerSocket)),
        p50Us: spread(l.map((r) => r.p50Us)),
        p99Us: spread(l.map((r) => r.p99Us)),
        framesSent: l.reduce((s, r) => s + r.sent, 0),
        framesLost: l.reduce((s, r) => s + r.lost, 0),
        outOfOrder: l.reduce((s, r) => s + r.outOfOrder, 0),
        failedCalls: c.reduce((s, r) => s + r.failed, 0),
        failedSockets: m.reduce((s, r) => s + r.failed + (r.n - r.failed - r.stillOpen), 0),
      };
      return [t, f];
    }),
  ) as Record<ProxyTargetName, ProxyFigures>;
  return { config, order, memory, calls, latency, figures, transports: seen };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: String(PROXY_COST_FULL.reps) },
      smoke: { type: 'boolean', default: false },
      docs: { type: 'boolean', default: false },
      // node --cpu-prof on every server; the .cpuprofile files go to this directory.
      profile: { type: 'string' },
      // Diagnosis: only some measurements, e.g. `--only memory` (never with --docs).
      only: { type: 'string' },
    },
  });
  const base = values.smoke ? PROXY_COST_SMOKE : PROXY_COST_FULL;
  const config: ProxyCostConfig = { ...base, reps: values.smoke ? base.reps : Number(values.reps) };
  if (values.docs && values.only !== undefined) throw new Error('--docs needs every measurement (no --only)');
  const log = (l: string) => console.error(l);
  const why = ensureServerBuild({ noBuild: false, log });
  if (why !== null) throw new Error(`HomeCall cannot be measured: ${why}`);
  const workDir = mkdtempSync(join(tmpdir(), 'homecall-proxy-cost-'));
  try {
    const env: ServerEnv = { cert: await makeCert(workDir), workDir, resumeTls: true };
    const result = await runProxyCost({
      env,
      config,
      log,
      ...(values.profile === undefined ? {} : { cpuProfDir: values.profile }),
      ...(values.only === undefined
        ? {}
        : { only: new Set(values.only.split(',') as Array<'memory' | 'calls' | 'latency'>) }),
    });
    console.log(JSON.stringify(result, null, 2));
    if (values.docs) {
      const file = join(repoDir, 'docs', 'performance.md');
      const command = `node --import tsx bench/parts/proxy-cost.ts ${process.argv.slice(2).join(' ')}`.trim();
      const section = proxyCostMarkdown(result, command, loadavg());
      writeFileSync(file, PROXY_COST_SECTION.replace(readFileSync(file, 'utf8'), section));
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(0);
}
