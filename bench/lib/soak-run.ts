/**
 * The soak (reliability.md L1): N sessions, each cycling join, offer, answer, 30 candidates
 * and hangup over real wss against a spawned server, for a duration; the server is sampled
 * (RSS, descriptors, event-loop lag, registry sizes) and checked for leaks at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRss } from './proc.js';
import { type Frame, SoakClient, TlsSessions } from './soak-client.js';
import { scrapeMetrics } from '../../test/helpers/scrape-metrics.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Every wait of a cycle: generous, it only bounds a stuck cycle (then counted as an error). */
const WAIT_MS = 60_000;
const CANDIDATES_PER_SIDE = 15;
const MAX_LATENCY_SAMPLES = 200_000;
/**
 * Upgrades in flight at once. Thousands of simultaneous TLS handshakes on a starved machine all
 * pass the server's handshake timeout and none completes (a congestion collapse); browsers
 * never arrive all in the same instant either.
 */
const MAX_CONNECTING = 32;
/** Warm-up before the idle baseline: rounds of full cycles, so once-only resources exist. */
const WARMUP_ROUNDS = 2;
const WARMUP_CALLS = 8;
/** How long an idle reading may wait for the server's closes to finish, and how often it looks. */
const SETTLE_MS = 20_000;
const SETTLE_POLL_MS = 500;

/** A counting semaphore for the upgrades in flight. */
class Gate {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}

export interface SoakOptions {
  sessions: number;
  durationMs: number;
  /** Each session starts a cycle at most this often (L1: every 5 s). */
  cycleMs: number;
  /** How often the server is sampled. */
  sampleMs: number;
  /** RSS samples before this are left out of the slope (L1: a 2-minute warm-up). */
  warmupMs: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ServerSample {
  atMs: number;
  rssBytes: number;
  fds: number;
  activeHandles: number;
  lagP99Ms: number;
  lagMaxMs: number;
  sockets: number;
  contexts: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  cycles: number;
  errors: Record<string, number>;
  latencyMs: { samples: number; p50: number; p99: number; max: number };
  rss: { startBytes: number; endBytes: number; peakBytes: number; slopeMiBPerMin: number };
  eventLoopLagMs: { worstP99: number; worstMax: number };
  /** Measured with no client connected, before the load and after it. */
  idle: { before: Idle; after: Idle };
  samples: ServerSample[];
}

export interface Idle {
  fds: number;
  /** What each open descriptor is (`socket:[…]`, `anon_inode:[eventfd]`, a path), sorted. */
  fdTargets: string[];
  activeHandles: number;
  sockets: number;
  contexts: number;
  tombstones: number;
  queuedFrames: number;
  timers: number;
}

interface Server {
  proc: ChildProcess;
  wsUrl: string;
  metricsUrl: string;
  stateDir: string;
  errorLines: () => number;
}

async function startServer(): Promise<Server> {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-soak-'));
  const args = [
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/server/main.ts'),
    ...['--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--state-dir', stateDir],
    // Every client comes from 127.0.0.1; the per-address cap is for the public.
    ...['--sockets-per-address', '100000', '--log-level', 'info'],
  ];
  const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let errorLines = 0;
  let partial = '';
  const urls = new Promise<{ url: string; metricsUrl: string }>((resolve, reject) => {
    let metricsUrl = '';
    // Generous: on a loaded 2-core machine a tsx start can take a minute or more.
    const timer = setTimeout(() => reject(new Error('server did not start within 180 s')), 180_000);
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (/"level":"(error|fatal)"/.test(line)) errorLines += 1;
        if (!line.includes('listening')) continue;
        const entry = JSON.parse(line) as { msg: string; url: string };
        if (entry.msg === 'metrics listening') metricsUrl = entry.url;
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          resolve({ url: entry.url, metricsUrl });
        }
      }
    });
  });
  const { url, metricsUrl } = await urls.catch((error: unknown) => {
    proc.kill('SIGKILL');
    throw error;
  });
  return {
    proc,
    wsUrl: `${url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/signal`,
    metricsUrl,
    stateDir,
    errorLines: () => errorLines,
  };
}

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Descriptor kinds, socket and pipe inode numbers left out so two readings compare by kind. */
function fdTargets(pid: number): string[] {
  const targets: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/^(socket|pipe):\[\d+\]$/, '$1'));
    } catch {
      // Closed between the listing and the read: not open any more.
    }
  }
  return targets.sort();
}

/** The descriptors `after` holds beyond `before`, by kind (empty when nothing was added). */
export function extraFds(before: Idle, after: Idle): string[] {
  const left = [...before.fdTargets];
  const extra: string[] = [];
  for (const target of after.fdTargets) {
    const i = left.indexOf(target);
    if (i >= 0) left.splice(i, 1);
    else extra.push(target);
  }
  return extra;
}

async function sample(server: Server, startedAt: number): Promise<ServerSample> {
  const pid = server.proc.pid as number;
  const m = await scrapeMetrics(server.metricsUrl);
  return {
    atMs: performance.now() - startedAt,
    rssBytes: readRss(pid),
    fds: fdCount(pid),
    activeHandles: m.get('nodejs_active_handles_total') ?? Number.NaN,
    lagP99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    lagMaxMs: (m.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
    sockets: m.get('homecall_sockets') ?? Number.NaN,
    contexts: m.get('homecall_registry_contexts') ?? Number.NaN,
  };
}

async function idle(server: Server): Promise<Idle> {
  const m = await scrapeMetrics(server.metricsUrl);
  const read = (name: string) => {
    const value = m.get(name);
    if (value === undefined) throw new Error(`${name} missing from /metrics`);
    return value;
  };
  const pid = server.proc.pid as number;
  return {
    fds: fdCount(pid),
    fdTargets: fdTargets(pid),
    activeHandles: read('nodejs_active_handles_total'),
    sockets: read('homecall_sockets'),
    contexts: read('homecall_registry_contexts'),
    tombstones: read('homecall_registry_tombstones'),
    queuedFrames: read('homecall_registry_queued_frames'),
    timers: read('homecall_session_timers'),
  };
}

/**
 * The idle reading once the server is quiet: polled until no socket, context, queued frame or
 * timer is left and (given a baseline) descriptors and handles are back to it, or until
 * SETTLE_MS passed; then the last reading is returned as it is, for the caller to judge.
 */
async function settled(server: Server, baseline?: Idle): Promise<Idle> {
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const reading = await idle(server);
    const quiet = reading.sockets === 0 && reading.contexts === 0 && reading.queuedFrames === 0 && reading.timers === 0;
    const back =
      baseline === undefined || (reading.fds <= baseline.fds && reading.activeHandles <= baseline.activeHandles);
    if ((quiet && back) || performance.now() > deadline) return reading;
  }
}

/** One call's signalling, start to end; throws on anything unexpected. */
async function cycle(wsUrl: string, tls: TlsSessions, gate: Gate, latencies: number[]): Promise<void> {
  const id = randomUUID();
  const [a, b] = await gate.run(() =>
    Promise.all([SoakClient.open(wsUrl, tls, WAIT_MS), SoakClient.open(wsUrl, tls, WAIT_MS)]),
  );
  try {
    a.send({ type: 'join', sessionId: id });
    await a.next('joined', WAIT_MS);
    b.send({ type: 'join', sessionId: id });
    await b.next('joined', WAIT_MS);
    await a.next('peer', WAIT_MS);
    const stamp = () => performance.now().toFixed(3);
    const took = (frame: Frame, sent: string) => {
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(frame.receivedAt - Number(sent));
    };
    a.send({ type: 'offer', sessionId: id, sdp: `v=0 soak ${stamp()}` });
    const offer = await b.next('offer', WAIT_MS);
    took(offer, String(offer.sdp).split(' ')[2] as string);
    b.send({ type: 'answer', sessionId: id, sdp: `v=0 soak ${stamp()}` });
    const answer = await a.next('answer', WAIT_MS);
    took(answer, String(answer.sdp).split(' ')[2] as string);
    const candidate = (i: number) => ({
      candidate: `candidate:${i} 1 udp 2122260223 192.0.2.1 ${40_000 + i} typ host t ${stamp()}`,
      sdpMid: '0',
      sdpMLineIndex: 0,
    });
    for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
      a.send({ type: 'candidate', sessionId: id, candidate: candidate(i) });
      b.send({ type: 'candidate', sessionId: id, candidate: candidate(i) });
    }
    for (const receiver of [a, b]) {
      for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
        const frame = await receiver.next('candidate', WAIT_MS);
        const c = frame.candidate as { candidate: string };
        if (!c.candidate.startsWith(`candidate:${i} `)) throw new Error('candidates out of order');
        took(frame, c.candidate.split(' ').pop() as string);
      }
    }
    a.send({ type: 'hangup', sessionId: id });
    await b.next('hangup', WAIT_MS);
    await Promise.all([a.waitClose(WAIT_MS), b.waitClose(WAIT_MS)]);
  } finally {
    a.ws.terminate();
    b.ws.terminate();
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Least-squares slope of RSS over time, MiB per minute. */
function slope(samples: ServerSample[]): number {
  if (samples.length < 2) return Number.NaN;
  const xs = samples.map((s) => s.atMs / 60_000);
  const ys = samples.map((s) => s.rssBytes / 1024 ** 2);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const server = await startServer();
  const tls = new TlsSessions();
  const gate = new Gate(MAX_CONNECTING);
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const samples: ServerSample[] = [];
  let cycles = 0;
  try {
    // The idle baseline, after a warm-up: a scrape and a few full cycles first, so whatever the
    // server creates once and keeps (the libuv thread pool's descriptors, TLS session state, the
    // first state-dir write) is in both readings, and only what grows with load tells a leak.
    await scrapeMetrics(server.metricsUrl);
    for (let round = 0; round < WARMUP_ROUNDS; round++) {
      await Promise.all(Array.from({ length: WARMUP_CALLS }, () => cycle(server.wsUrl, tls, gate, [])));
    }
    const before = await settled(server);
    const startedAt = performance.now();
    const endAt = startedAt + options.durationMs;
    const sampler = setInterval(() => {
      sample(server, startedAt).then(
        (s) => {
          samples.push(s);
          log(
            `t=${(s.atMs / 1000).toFixed(0)}s cycles=${cycles} rss=${(s.rssBytes / 1024 ** 2).toFixed(1)}MiB fds=${s.fds} sockets=${s.sockets} lagP99=${s.lagP99Ms.toFixed(1)}ms errors=${Object.values(errors).reduce((x, y) => x + y, 0)}`,
          );
        },
        (error: unknown) => {
          errors[`sample: ${String(error)}`] = (errors[`sample: ${String(error)}`] ?? 0) + 1;
          log(`sample failed: ${String(error)}`);
        },
      );
    }, options.sampleMs);
    const loop = async (index: number) => {
      // Sessions start spread over the first cycle, not all at once.
      await new Promise((resolve) => setTimeout(resolve, (index / options.sessions) * options.cycleMs));
      while (performance.now() < endAt) {
        const start = performance.now();
        try {
          await cycle(server.wsUrl, tls, gate, latencies);
          cycles += 1;
        } catch (error) {
          const key = String(error instanceof Error ? error.message : error).slice(0, 120);
          errors[key] = (errors[key] ?? 0) + 1;
        }
        const wait = start + options.cycleMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, endAt - performance.now())));
      }
    };
    await Promise.all(Array.from({ length: options.sessions }, (_, i) => loop(i)));
    clearInterval(sampler);
    // Every client socket is closed; the idle reading waits (bounded) for the server to finish
    // its closes, so a close still in flight on a loaded machine is not read as a leak.
    const after = await settled(server, before);
    if (server.errorLines() > 0) errors['server logged error/fatal lines'] = server.errorLines();
    const sorted = [...latencies].sort((x, y) => x - y);
    const rssValues = samples.map((s) => s.rssBytes);
    return {
      options: {
        sessions: options.sessions,
        durationMs: options.durationMs,
        cycleMs: options.cycleMs,
        sampleMs: options.sampleMs,
        warmupMs: options.warmupMs,
      },
      cycles,
      errors,
      latencyMs: {
        samples: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? Number.NaN,
      },
      rss: {
        startBytes: rssValues[0] ?? Number.NaN,
        endBytes: rssValues.at(-1) ?? Number.NaN,
        peakBytes: Math.max(...rssValues),
        slopeMiBPerMin: slope(samples.filter((s) => s.atMs >= options.warmupMs)),
      },
      eventLoopLagMs: {
        worstP99: Math.max(...samples.map((s) => s.lagP99Ms)),
        worstMax: Math.max(...samples.map((s) => s.lagMaxMs)),
      },
      idle: { before, after },
      samples,
    };
  } finally {
    const exited = new Promise((resolve) => server.proc.once('exit', resolve));
    if (server.proc.exitCode === null) server.proc.kill('SIGTERM');
    const kill = setTimeout(() => server.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
    rmSync(server.stateDir, { recursive: true, force: true });
  }
}
