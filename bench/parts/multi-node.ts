/**
 * Part 6, "multi-node": two HomeCall nodes plus Redis against one node, same load, same run,
 * alternating (single, cluster, single, cluster, ...; with `pair`, two in-memory nodes without
 * Redis as a third setup, to tell the cost of a second process on the same cores from Redis's):
 *   - calls/s and CPU per 1,000 calls (every server process summed: nodes and redis-server),
 *     measured after warm-up calls on every node; a call is two sockets joining one id, offer,
 *     answer, 10 candidates each way, hangup;
 *   - Redis round trips (scripts) and commands per call (INFO commandstats around the window), the nodes' and
 *     redis-server's CPU apart, and context switches per call;
 *   - relay latency p50/p99 of one frame A -> B for same-node and cross-node pairs, and in the
 *     cluster the same two paths with no HomeCall in them (bench/lib/hop-floor.ts).
 * With `cpuProfDir`, every node runs under `node --cpu-prof` and leaves its profile there.
 *
 * Run by `npm run bench -- --parts multi-node`, or on its own by bench/multi-node.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import WebSocket from 'ws';
import { makeCert } from '../lib/cert.js';
import { startHopFloor } from '../lib/hop-floor.js';
import { readCpuSeconds, spawnNode, stopChild, waitForListening } from '../lib/proc.js';
import { round, spread } from '../lib/stats.js';
import { HOMECALL_LOAD_FLAGS, repoDir, serverEntry } from '../lib/targets.js';

export interface MultiNodeOptions {
  /** Calls per measurement (each alternation of single and cluster). */
  calls: number;
  reps: number;
  /** Frames timed per latency measurement. */
  samples: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Calls run on every setup before measuring (JIT, TLS caches, Redis script cache). */
  warmupCalls: number;
  /** Also measure two in-memory nodes (no Redis), each call on one of them. */
  pair?: boolean;
  /** Run every node under `node --cpu-prof`, profiles written here (one directory per node). */
  cpuProfDir?: string;
  log?: (line: string) => void;
}

type SetupName = 'single' | 'pair' | 'cluster';

export type MultiNodeSummary = Awaited<ReturnType<typeof runMultiNode>>;

interface Proc {
  pid: number;
  child: ChildProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** A redis-server without persistence on a free loopback port, once it accepts connections. */
export async function startRedis(dir: string): Promise<{ proc: Proc; url: string }> {
  const port = await freePort();
  const child = spawn(
    '/usr/bin/redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', () => reject(new Error(`redis-server exited: ${out.slice(-500)}`)));
    child.once('error', (e) => reject(new Error(`redis-server did not start: ${e.message}`)));
  });
  child.stdout?.resume();
  return { proc: { pid: child.pid as number, child }, url: `redis://127.0.0.1:${port}` };
}

async function startNode(
  dir: string,
  label: string,
  cert: { certFile: string; keyFile: string },
  extra: string[],
  cpuProfDir: string | undefined,
) {
  const logFile = join(dir, `${label}.log`);
  const prof = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(cpuProfDir, label)];
  const child = spawnNode(
    [
      ...prof,
      serverEntry,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--tls-cert',
      cert.certFile,
      '--tls-key',
      cert.keyFile,
      '--state-dir',
      join(dir, 'state'),
      // The built-in TURN server on any free UDP port: two nodes cannot both hold 3478.
      '--turn-port',
      '0',
      ...HOMECALL_LOAD_FLAGS,
      // The latency part sends thousands of frames over one socket, one at a time: above the
      // per-socket rate limit (20/s sustained), which would refuse them.
      '--rate-frames-per-sec',
      '1000000',
      '--rate-burst-frames',
      '1000000',
      '--rate-bytes-per-sec',
      '1073741824',
      '--rate-burst-bytes',
      '1073741824',
      ...extra,
    ],
    { stdoutFile: logFile, cwd: repoDir, env: { ...process.env, NODE_ENV: 'production' } },
  );
  const url = await waitForListening(child, logFile, 60_000).catch(() => null);
  return { proc: { pid: child.pid as number, child }, url };
}

interface Setup {
  name: SetupName;
  /** wss URLs of the nodes. */
  urls: string[];
  procs: Proc[];
  /** The node processes (procs without redis-server). */
  nodes: Proc[];
  redisUrl: string | null;
  stop(): Promise<void>;
}

async function setup(
  name: SetupName,
  dir: string,
  cert: { certFile: string; keyFile: string },
  rep: number,
  cpuProfDir: string | undefined,
): Promise<Setup> {
  const secret = randomBytes(32).toString('hex');
  const procs: Proc[] = [];
  const nodes: Proc[] = [];
  const extra = ['--token-secret', secret, '--log-level', 'info'];
  // A profiled node writes its profile on a clean exit: it gets time for that.
  const stop = async () => {
    await Promise.all(procs.map((p) => stopChild(p.child, cpuProfDir === undefined ? 0 : 15_000)));
  };
  const urls: string[] = [];
  let redisUrl: string | null = null;
  try {
    if (name === 'cluster') {
      const redis = await startRedis(dir);
      procs.push(redis.proc);
      redisUrl = redis.url;
      extra.push('--redis-url', redis.url);
    }
    if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
    for (let i = 0; i < (name === 'single' ? 1 : 2); i++) {
      const node = await startNode(dir, `${name}-rep${rep + 1}-node${i}`, cert, extra, cpuProfDir);
      procs.push(node.proc);
      nodes.push(node.proc);
      if (node.url === null) throw new Error(`node ${name}-${i} did not start`);
      urls.push(`${node.url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/signal`);
    }
  } catch (e) {
    // Whatever started before the failure (redis-server, the first node) is stopped here.
    await stop();
    throw e;
  }
  return { name, urls, procs, nodes, redisUrl, stop };
}

class Socket {
  readonly ws: WebSocket;
  readonly #waiters: Array<(m: { type: string } & Record<string, unknown>) => boolean> = [];
  constructor(url: string, ca: string) {
    this.ws = new WebSocket(url, { ca, perMessageDeflate: false });
    this.ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string } & Record<string, unknown>;
      const i = this.#waiters.findIndex((w) => w(m));
      if (i >= 0) this.#waiters.splice(i, 1);
    });
  }
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  /** Resolves with the first later message of `type`. */
  next(type: string): Promise<{ type: string } & Record<string, unknown>> {
    return new Promise((resolve) => {
      this.#waiters.push((m) => {
        if (m.type !== type) return false;
        resolve(m);
        return true;
      });
    });
  }
  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) resolve();
      else this.ws.once('close', () => resolve());
    });
  }
}

const cand = (sessionId: string, n: number) => ({
  type: 'candidate',
  sessionId,
  candidate: {
    candidate: `candidate:${n} 1 udp 2122260223 192.0.2.1 ${50000 + n} typ host`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
});
const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

async function pair(urlA: string, urlB: string, ca: string) {
  const id = randomUUID();
  const a = new Socket(urlA, ca);
  await a.open();
  const ja = a.next('joined');
  a.send({ type: 'join', sessionId: id });
  await ja;
  const b = new Socket(urlB, ca);
  await b.open();
  const jb = b.next('joined');
  const peer = a.next('peer');
  b.send({ type: 'join', sessionId: id });
  await Promise.all([jb, peer]);
  return { id, a, b };
}

async function oneCall(urlA: string, urlB: string, ca: string): Promise<void> {
  const { id, a, b } = await pair(urlA, urlB, ca);
  const gotOffer = b.next('offer');
  a.send({ type: 'offer', sessionId: id, sdp });
  await gotOffer;
  const gotAnswer = a.next('answer');
  b.send({ type: 'answer', sessionId: id, sdp });
  await gotAnswer;
  for (let i = 0; i < 10; i++) {
    a.send(cand(id, i));
    b.send(cand(id, 100 + i));
  }
  const hung = b.next('hangup');
  a.send({ type: 'hangup', sessionId: id });
  await hung;
  await Promise.all([a.closed(), b.closed()]);
}

const cpuOf = (procs: Proc[]) => procs.reduce((sum, p) => sum + readCpuSeconds(p.pid), 0);

/** Voluntary + involuntary context switches of the processes so far (/proc/<pid>/status). */
function switchesOf(procs: Proc[]): number {
  let sum = 0;
  for (const p of procs) {
    const status = readFileSync(`/proc/${p.pid}/status`, 'utf8');
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) sum += Number(m[1]);
  }
  return sum;
}

/**
 * What redis-server has run so far (INFO commandstats), without the INFO asking it: `scripts`,
 * the EVALSHA/EVAL a node sent (one round trip each), and `all`, every command including those
 * the scripts ran.
 */
async function redisCommands(url: string): Promise<{ scripts: number; all: number }> {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => {});
  await client.connect();
  try {
    const text = String(await client.sendCommand(['INFO', 'commandstats']));
    let all = 0;
    let scripts = 0;
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (m[1] === 'info') continue;
      all += Number(m[2]);
      if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
    }
    return { scripts, all };
  } finally {
    client.destroy();
  }
}

/** Runs `count` calls, `concurrency` at a time, spread over the nodes (each call on one node, as affinity places it). */
async function runCalls(s: Setup, ca: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const url = s.urls[next % s.urls.length] as string;
      next += 1;
      await oneCall(url, url, ca);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function measureCalls(s: Setup, ca: string, { calls: CALLS, concurrency: CONCURRENCY }: MultiNodeOptions) {
  const redisProcs = s.procs.filter((p) => !s.nodes.includes(p));
  const none = { scripts: 0, all: 0 };
  const commands0 = s.redisUrl === null ? none : await redisCommands(s.redisUrl);
  const nodeCpu0 = cpuOf(s.nodes);
  const redisCpu0 = cpuOf(redisProcs);
  const switches0 = switchesOf(s.procs);
  const t0 = performance.now();
  await runCalls(s, ca, CALLS, CONCURRENCY);
  const seconds = (performance.now() - t0) / 1000;
  const nodeCpu = cpuOf(s.nodes) - nodeCpu0;
  const redisCpu = cpuOf(redisProcs) - redisCpu0;
  const switches = switchesOf(s.procs) - switches0;
  const commands1 = s.redisUrl === null ? none : await redisCommands(s.redisUrl);
  return {
    callsPerSec: CALLS / seconds,
    cpuSecPer1000Calls: ((nodeCpu + redisCpu) / CALLS) * 1000,
    nodeCpuSecPer1000Calls: (nodeCpu / CALLS) * 1000,
    redisCpuSecPer1000Calls: (redisCpu / CALLS) * 1000,
    contextSwitchesPerCall: switches / CALLS,
    redisScriptsPerCall: (commands1.scripts - commands0.scripts) / CALLS,
    redisCommandsPerCall: (commands1.all - commands0.all) / CALLS,
  };
}

/** One frame A -> B at a time, `SAMPLES` times: the relay latency as the two clients see it. */
async function measureLatency(urlA: string, urlB: string, ca: string, SAMPLES: number) {
  const { id, a, b } = await pair(urlA, urlB, ca);
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const got = b.next('candidate');
    const t = performance.now();
    a.send(cand(id, i));
    await got;
    ms.push(performance.now() - t);
  }
  a.send({ type: 'hangup', sessionId: id });
  await Promise.all([a.closed(), b.closed()]);
  ms.sort((x, y) => x - y);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number;
  return { p50Ms: round(q(0.5), 3), p99Ms: round(q(0.99), 3) };
}

/** Median of one figure over a setup's repetitions. */
function medianOf(rows: Array<Record<string, number>>, key: string): number {
  return spread(rows.map((r) => r[key]))?.median ?? Number.NaN;
}

function summaryOf(rows: Array<Record<string, number>>) {
  const m = (key: string) => medianOf(rows, key);
  return {
    callsPerSec: round(m('callsPerSec'), 3),
    cpuSecPer1000Calls: round(m('cpuSecPer1000Calls'), 3),
    nodeCpuSecPer1000Calls: round(m('nodeCpuSecPer1000Calls'), 3),
    redisCpuSecPer1000Calls: round(m('redisCpuSecPer1000Calls'), 3),
    contextSwitchesPerCall: round(m('contextSwitchesPerCall'), 1),
    redisScriptsPerCall: round(m('redisScriptsPerCall'), 2),
    redisCommandsPerCall: round(m('redisCommandsPerCall'), 2),
    sameNodeP50Ms: m('sameNodeP50Ms'),
    sameNodeP99Ms: m('sameNodeP99Ms'),
    /** NaN but in the cluster. */
    crossNodeP50Ms: m('crossNodeP50Ms'),
    crossNodeP99Ms: m('crossNodeP99Ms'),
    /** The bare relays of bench/lib/hop-floor.ts (NaN but in the cluster). */
    floorSameP50Ms: m('floorSameP50Ms'),
    floorSameP99Ms: m('floorSameP99Ms'),
    floorViaRedisP50Ms: m('floorViaRedisP50Ms'),
    floorViaRedisP99Ms: m('floorViaRedisP99Ms'),
  };
}

/**
 * Runs the part: single node, cluster (and the in-memory pair) alternating, the order reversed
 * every other repetition (A B, B A), `reps` times each; returns the medians.
 */
export async function runMultiNode(options: MultiNodeOptions) {
  const { calls: CALLS, reps: REPS, samples: SAMPLES } = options;
  const log = options.log ?? (() => {});
  if (!existsSync(serverEntry)) throw new Error('dist/server/main.js is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'homecall-bench-multi-'));
  const names: SetupName[] = options.pair === true ? ['single', 'pair', 'cluster'] : ['single', 'cluster'];
  const runs: Record<SetupName, Array<Record<string, number>>> = { single: [], pair: [], cluster: [] };
  try {
    const cert = await makeCert(dir);
    for (let rep = 0; rep < REPS; rep++) {
      for (const name of rep % 2 === 0 ? names : [...names].reverse()) {
        log(`multi-node: ${name}, repetition ${rep + 1}/${REPS}`);
        const s = await setup(name, dir, cert, rep, options.cpuProfDir);
        try {
          await sleep(500);
          // Warm-up on every node (JIT, TLS, Redis's script cache), then a short latency one.
          await runCalls(s, cert.cert, options.warmupCalls, options.concurrency);
          for (const url of s.urls) await measureLatency(url, url, cert.cert, Math.min(200, SAMPLES));
          // The cross-node path (ROUTE, the subscriber's side) is warmed as well before it is timed:
          // its first frames load the script into Redis and run un-optimised code on both nodes.
          if (s.urls.length > 1 && name === 'cluster')
            await measureLatency(s.urls[0] as string, s.urls[1] as string, cert.cert, Math.min(200, SAMPLES));
          const calls = await measureCalls(s, cert.cert, options);
          const first = s.urls[0] as string;
          const same = await measureLatency(first, first, cert.cert, SAMPLES);
          const row: Record<string, number> = {
            ...calls,
            sameNodeP50Ms: same.p50Ms,
            sameNodeP99Ms: same.p99Ms,
          };
          if (name === 'cluster') {
            // HomeCall's cross-node path and the same path with no HomeCall in it (bare relays on
            // this setup's redis-server), the order swapped every other repetition.
            const floor = await startHopFloor(s.redisUrl as string);
            try {
              const timeCross = async () => {
                const cross = await measureLatency(first, s.urls[1] as string, cert.cert, SAMPLES);
                row.crossNodeP50Ms = cross.p50Ms;
                row.crossNodeP99Ms = cross.p99Ms;
              };
              const timeFloor = async () => {
                const f = await floor.measure(SAMPLES);
                row.floorSameP50Ms = f.same.p50Ms;
                row.floorSameP99Ms = f.same.p99Ms;
                row.floorViaRedisP50Ms = f.viaRedis.p50Ms;
                row.floorViaRedisP99Ms = f.viaRedis.p99Ms;
              };
              for (const step of rep % 2 === 0 ? [timeCross, timeFloor] : [timeFloor, timeCross]) await step();
            } finally {
              floor.stop();
            }
          }
          runs[name].push(row);
        } finally {
          await s.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const single = summaryOf(runs.single);
  const cluster = summaryOf(runs.cluster);
  const pair = options.pair === true ? summaryOf(runs.pair) : null;
  const ratio = (a: number, b: number) => round(a / b, 3);
  return {
    calls: CALLS,
    reps: REPS,
    samples: SAMPLES,
    warmupCalls: options.warmupCalls,
    concurrency: options.concurrency,
    single,
    cluster,
    pair,
    ratios: {
      callsPerSecSingleOverCluster: ratio(single.callsPerSec, cluster.callsPerSec),
      cpuPerCallClusterOverSingle: ratio(cluster.cpuSecPer1000Calls, single.cpuSecPer1000Calls),
      sameNodeP99ClusterOverSingle: ratio(cluster.sameNodeP99Ms, single.sameNodeP99Ms),
      crossOverSameNodeP99: ratio(cluster.crossNodeP99Ms, cluster.sameNodeP99Ms),
      floorViaRedisOverSameP99: ratio(cluster.floorViaRedisP99Ms, cluster.floorSameP99Ms),
      ...(pair === null
        ? {}
        : {
            callsPerSecSingleOverPair: ratio(single.callsPerSec, pair.callsPerSec),
            cpuPerCallPairOverSingle: ratio(pair.cpuSecPer1000Calls, single.cpuSecPer1000Calls),
            cpuPerCallClusterOverPair: ratio(cluster.cpuSecPer1000Calls, pair.cpuSecPer1000Calls),
          }),
    },
    runs,
  };
}
