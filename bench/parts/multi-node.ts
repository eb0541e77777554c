/**
 * Part 6, "multi-node": two HomeCall nodes plus Redis against one node, same load, same run,
 * alternating (single, cluster, single, cluster, ...):
 *   - calls/s and CPU per 1,000 calls (every server process summed: nodes and redis-server);
 *     a call is two sockets joining one id, offer, answer, 10 candidates each way, hangup;
 *   - relay latency p50/p99 of one frame A -> B for same-node and cross-node pairs.
 *
 * Run by `npm run bench -- --parts multi-node`, or on its own by bench/multi-node.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { makeCert } from '../lib/cert.js';
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
  log?: (line: string) => void;
}

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

async function startRedis(dir: string): Promise<{ proc: Proc; url: string }> {
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

async function startNode(dir: string, label: string, cert: { certFile: string; keyFile: string }, extra: string[]) {
  const logFile = join(dir, `${label}.log`);
  const child = spawnNode(
    [
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
  name: 'single' | 'cluster';
  /** wss URLs of the nodes. */
  urls: string[];
  procs: Proc[];
  stop(): Promise<void>;
}

async function setup(name: Setup['name'], dir: string, cert: { certFile: string; keyFile: string }): Promise<Setup> {
  const secret = randomBytes(32).toString('hex');
  const procs: Proc[] = [];
  const extra = ['--token-secret', secret, '--log-level', 'info'];
  const stop = async () => {
    await Promise.all(procs.map((p) => stopChild(p.child, 0)));
  };
  const urls: string[] = [];
  try {
    if (name === 'cluster') {
      const redis = await startRedis(dir);
      procs.push(redis.proc);
      extra.push('--redis-url', redis.url);
    }
    for (let i = 0; i < (name === 'cluster' ? 2 : 1); i++) {
      const node = await startNode(dir, `${name}-${i}`, cert, extra);
      procs.push(node.proc);
      if (node.url === null) throw new Error(`node ${name}-${i} did not start`);
      urls.push(`${node.url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/signal`);
    }
  } catch (e) {
    // Whatever started before the failure (redis-server, the first node) is stopped here.
    await stop();
    throw e;
  }
  return { name, urls, procs, stop };
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

/** Calls spread over the nodes: in a cluster, each call's two sockets on one node (affinity). */
async function measureCalls(s: Setup, ca: string, { calls: CALLS, concurrency: CONCURRENCY }: MultiNodeOptions) {
  const cpu0 = cpuOf(s.procs);
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < CALLS) {
      const url = s.urls[next % s.urls.length] as string;
      next += 1;
      await oneCall(url, url, ca);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuOf(s.procs) - cpu0;
  return { callsPerSec: CALLS / seconds, cpuSecPer1000Calls: (cpu / CALLS) * 1000 };
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

/** Runs the part: single node and cluster alternating, `reps` times each; returns the medians. */
export async function runMultiNode(options: MultiNodeOptions) {
  const { calls: CALLS, reps: REPS, samples: SAMPLES } = options;
  const log = options.log ?? (() => {});
  if (!existsSync(serverEntry)) throw new Error('dist/server/main.js is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'homecall-bench-multi-'));
  const runs: Record<string, Array<Record<string, number>>> = { single: [], cluster: [] };
  try {
    const cert = await makeCert(dir);
    for (let rep = 0; rep < REPS; rep++) {
      for (const name of ['single', 'cluster'] as const) {
        log(`multi-node: ${name}, repetition ${rep + 1}/${REPS}`);
        const s = await setup(name, dir, cert);
        try {
          await sleep(500);
          const calls = await measureCalls(s, cert.cert, options);
          const first = s.urls[0] as string;
          const same = await measureLatency(first, first, cert.cert, SAMPLES);
          const row: Record<string, number> = {
            ...calls,
            sameNodeP50Ms: same.p50Ms,
            sameNodeP99Ms: same.p99Ms,
          };
          if (name === 'cluster') {
            const cross = await measureLatency(first, s.urls[1] as string, cert.cert, SAMPLES);
            row.crossNodeP50Ms = cross.p50Ms;
            row.crossNodeP99Ms = cross.p99Ms;
          }
          runs[name]?.push(row);
        } finally {
          await s.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const med = (name: string, key: string) => spread((runs[name] ?? []).map((r) => r[key]))?.median ?? Number.NaN;
  const summary = {
    calls: CALLS,
    reps: REPS,
    samples: SAMPLES,
    single: {
      callsPerSec: round(med('single', 'callsPerSec')),
      cpuSecPer1000Calls: round(med('single', 'cpuSecPer1000Calls')),
      sameNodeP50Ms: med('single', 'sameNodeP50Ms'),
      sameNodeP99Ms: med('single', 'sameNodeP99Ms'),
    },
    cluster: {
      callsPerSec: round(med('cluster', 'callsPerSec')),
      cpuSecPer1000Calls: round(med('cluster', 'cpuSecPer1000Calls')),
      sameNodeP50Ms: med('cluster', 'sameNodeP50Ms'),
      sameNodeP99Ms: med('cluster', 'sameNodeP99Ms'),
      crossNodeP50Ms: med('cluster', 'crossNodeP50Ms'),
      crossNodeP99Ms: med('cluster', 'crossNodeP99Ms'),
    },
    ratios: {
      cpuPerCallClusterOverSingle: round(med('cluster', 'cpuSecPer1000Calls') / med('single', 'cpuSecPer1000Calls')),
      sameNodeP99ClusterOverSingle: round(med('cluster', 'sameNodeP99Ms') / med('single', 'sameNodeP99Ms')),
      crossOverSameNodeP99: round(med('cluster', 'crossNodeP99Ms') / med('cluster', 'sameNodeP99Ms')),
    },
    runs,
  };
  return summary;
}
