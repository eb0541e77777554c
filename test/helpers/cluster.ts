/**
 * Several real HomeCall processes sharing one private redis-server (README "Several nodes"),
 * with test timings: heartbeat 250 ms, node timeout 2 s (a loaded machine stalls event loops), sweep 50 ms.
 */
import assert from 'node:assert/strict';
import { affinityHint } from '../../src/shared/affinity-hint.js';
import { type Frame, TestClient } from './client.js';
import { tokenSecret as newSecret, uuid } from './ids.js';
import { type RedisServer, startRedis } from './redis.js';
import { type ChildServer, type Flags, spawnServer } from './server.js';

export const CLUSTER_FLAGS: Flags = {
  '--redis-heartbeat': '250ms',
  '--redis-node-timeout': '2s',
  '--redis-sweep': '50ms',
  // Hundreds of sockets in one loaded test process answer pings late: no drops from that.
  '--ping-interval': '5s',
  '--drop-after': '20s',
  '--sockets-per-address': '2000',
  // The race test opens three sockets before it sends the joins: a loaded machine may take seconds.
  '--join-timeout': '60s',
  // Each node's /metrics on its own loopback listener (cross-node frames, Redis round trips).
  '--metrics-port': '0',
};

export interface Cluster {
  redis: RedisServer;
  nodes: ChildServer[];
  secret: string;
  /** Starts one more node on the same Redis and secret (e.g. after a kill). */
  addNode(flags?: Flags): Promise<ChildServer>;
}

export async function startCluster(count: number, flags: Flags = {}, redis?: RedisServer): Promise<Cluster> {
  const server = redis ?? (await startRedis());
  const secret = newSecret();
  const addNode = (extra: Flags = {}) =>
    spawnServer(
      { ...CLUSTER_FLAGS, '--redis-url': server.url, ...flags, ...extra },
      { tokenSecret: secret, readyTimeoutMs: 120_000 },
    );
  const nodes: ChildServer[] = [];
  // One after another: a loaded 2-core machine starts tsx slowly.
  for (let i = 0; i < count; i++) nodes.push(await addNode());
  return { redis: server, nodes, secret, addNode };
}

/** Live session contexts a node counts (its loopback /metrics). */
export async function liveSessions(node: ChildServer): Promise<number> {
  return metricValue(node, 'homecall_sessions');
}

/** One value of a node's /metrics; NaN when the metric is missing. */
export async function metricValue(node: ChildServer, name: string): Promise<number> {
  if (node.metricsUrl === undefined) throw new Error('the node runs without --metrics-port');
  const text = await (await fetch(node.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

/**
 * For each node, an affinity hint the proxy sends to that node: `probe(k)` opens a session
 * through the proxy with hint `k` and ends it once `during` (the counts of live sessions per node
 * while it is open) was read. Bounded: fails when some node never got a session.
 */
export async function hintPerNode(
  nodes: ChildServer[],
  probe: (k: string, whileOpen: () => Promise<void>) => Promise<void>,
): Promise<string[]> {
  const hints: (string | undefined)[] = nodes.map(() => undefined);
  for (let i = 0; i < 40 && hints.includes(undefined); i++) {
    const k = affinityHint(uuid());
    const before = await Promise.all(nodes.map(liveSessions));
    let during: number[] = [];
    await probe(k, async () => {
      during = await Promise.all(nodes.map(liveSessions));
    });
    const index = during.findIndex((n, j) => n > (before[j] as number));
    if (index < 0) throw new Error(`no node counted the probe session: ${before} -> ${during}`);
    hints[index] ??= k;
  }
  const missing = hints.indexOf(undefined);
  if (missing >= 0) throw new Error(`the proxy never sent a session to node ${missing + 1}`);
  return hints as string[];
}

/** Generous: a loaded 2-core machine can take seconds for a TLS handshake. */
const CONNECT_MS = 30_000;

/** A signalling socket straight to one node. */
export const connectTo = (node: ChildServer) => TestClient.connect(node.wsUrl, {}, CONNECT_MS);

/** A candidate frame numbered `n` (its text and port carry it). */
export const candidateFrame = (sessionId: string, n: number) => ({
  type: 'candidate',
  sessionId,
  candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${n} typ host`, sdpMid: '0', sdpMLineIndex: 0 },
});

export interface CrossPair {
  id: string;
  a: TestClient;
  b: TestClient;
  ja: Frame;
  jb: Frame;
}

/** A joins on `na`, B on `nb`; the handshake frames are consumed. */
export async function pairAcross(na: ChildServer, nb: ChildServer, id = uuid()): Promise<CrossPair> {
  const a = await connectTo(na);
  const ja = await a.join(id);
  assert.equal(ja.peer, false);
  const b = await connectTo(nb);
  const jb = await b.join(id);
  assert.equal(jb.peer, true);
  assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  return { id, a, b, ja, jb };
}
