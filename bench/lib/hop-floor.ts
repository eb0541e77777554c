/**
 * The floor of a cross-node frame on this machine: the same path with no HomeCall in it. Bare
 * relays, each a process of its own, one frame at a time:
 *
 *   same node   generator -> relay -> generator           (two processes, as a frame between two
 *                                                          participants on one node)
 *   via Redis   generator -> relay A -> redis-server -> relay B -> generator
 *               (relay A runs a one-line script that PUBLISHes the frame, as HomeCall's atomic
 *                ROUTE step does; relay B is subscribed and writes it on)
 *
 * Plain TCP on loopback, newline-framed, 200-byte frames: no TLS, no WebSocket, no checks, so
 * the p99 ratio of the two paths is the machine's (its scheduler waking four processes instead
 * of two), not HomeCall's. The multi-node part (bench/parts/multi-node.ts) measures it beside
 * HomeCall's own same-node and cross-node latency, in the same run.
 */
import type { ChildProcess } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { round } from './stats.js';
import { benchDir } from './targets.js';
import { spawnNode } from './proc.js';

export interface HopLatency {
  p50Ms: number;
  p99Ms: number;
}

export interface HopFloor {
  /** `samples` frames through the two-process path, then through the path via Redis. */
  measure(samples: number): Promise<{ same: HopLatency; viaRedis: HopLatency }>;
  stop(): void;
}

const RELAY = join(benchDir, 'lib', 'hop-floor-relay.ts');

function startRelay(role: 'same' | 'a' | 'b', redisUrl: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnNode(['--import', 'tsx', RELAY, role, redisUrl], { ipc: true });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`hop-floor relay ${role} exited with ${code}`)));
  });
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Sends one frame at a time on `out` and times its arrival on `back`. */
async function timeFrames(out: Socket, back: Socket, samples: number): Promise<HopLatency> {
  const pad = 'x'.repeat(200);
  let arrived: (() => void) | null = null;
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString();
    const nl = buffered.lastIndexOf('\n');
    if (nl < 0) return;
    buffered = buffered.slice(nl + 1);
    arrived?.();
  };
  back.on('data', onData);
  const ms: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const got = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const t = performance.now();
      out.write(`${i}:${pad}\n`);
      await got;
      ms.push(performance.now() - t);
    }
  } finally {
    back.off('data', onData);
  }
  ms.sort((x, y) => x - y);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] as number;
  return { p50Ms: round(q(0.5), 3), p99Ms: round(q(0.99), 3) };
}

/** Starts the three relays against `redisUrl` and warms both paths (JIT, the script cache). */
export async function startHopFloor(redisUrl: string): Promise<HopFloor> {
  const relays: ChildProcess[] = [];
  const sockets: Socket[] = [];
  const stop = () => {
    for (const s of sockets) s.destroy();
    for (const c of relays) c.kill('SIGKILL');
  };
  try {
    const ports: number[] = [];
    for (const role of ['same', 'a', 'b'] as const) {
      const relay = await startRelay(role, redisUrl);
      relays.push(relay.child);
      ports.push(relay.port);
    }
    for (const port of ports) sockets.push(await connect(port));
    const [toSame, toA, fromB] = sockets as [Socket, Socket, Socket];
    await timeFrames(toSame, toSame, 300);
    await timeFrames(toA, fromB, 300);
    return {
      async measure(samples) {
        const same = await timeFrames(toSame, toSame, samples);
        const viaRedis = await timeFrames(toA, fromB, samples);
        return { same, viaRedis };
      },
      stop,
    };
  } catch (e) {
    stop();
    throw e;
  }
}
