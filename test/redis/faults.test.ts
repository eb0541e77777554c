// Faults with several nodes: a node killed mid-call, Redis restarted (all data lost), paused,
// its subscribers cut, and unreachable. Each participant pair sits on different nodes.
import assert from 'node:assert/strict';
import { get } from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { Frame, TestClient } from '../helpers/client.js';
import {
  type Cluster,
  candidateFrame as cand,
  connectTo as connect,
  pairAcross,
  startCluster,
} from '../helpers/cluster.js';
import { uuid } from '../helpers/ids.js';
import { expectError, expectQuiet, offer, sleep } from '../helpers/protocol.js';
import { sessionTraces, stopAllRedis } from '../helpers/redis.js';
import type { ChildServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';

let cluster: Cluster;
let n1: ChildServer;
let n2: ChildServer;
let n3: ChildServer;
const faults = useIntegrationSuite();

before(async () => {
  cluster = await startCluster(3, { '--grace': '10s' });
  [n1, n2, n3] = cluster.nodes as [ChildServer, ChildServer, ChildServer];
});
after(() => stopAllRedis());

function health(node: ChildServer): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`${node.url}healthz`, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** Bounded wait (count and time) until `check` holds. */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`gave up waiting for ${what}`);
}

const allHealthy = (nodes: ChildServer[]) => async () => (await Promise.all(nodes.map(health))).every((s) => s === 200);

/** Sends a ping and waits for its pong: every earlier frame of `c` was handled. */
async function flush(c: TestClient, id: string): Promise<void> {
  c.send({ type: 'ping', sessionId: id });
  await c.next('pong');
}

/**
 * Ends each session by a hangup from a participant still attached, then asserts "no key left
 * behind": Redis keeps no key and no set member of them (only TTL'd keys of live sessions).
 */
async function endAll(sessions: { id: string; by: TestClient }[]): Promise<void> {
  for (const { id, by } of sessions) by.send({ type: 'hangup', sessionId: id });
  await Promise.all(sessions.map(({ by }) => by.waitClose(30_000)));
  const ids = sessions.map((s) => s.id);
  let traces: string[] = [];
  // Bounded wait: a sweep or a late close may still be settling.
  for (let i = 0; i < 100; i++) {
    traces = await sessionTraces(cluster.redis, ids);
    if (traces.length === 0) break;
    await sleep(100);
  }
  assert.deepEqual(traces, [], 'no key left behind in Redis for ended sessions');
}

describe('a node dies (kill -9)', () => {
  test('the peer sees away; frames queue; B resumes on another node and gets them in order, exactly once', async () => {
    const victim = await cluster.addNode();
    const { id, a, jb } = await pairAcross(n1, victim);
    victim.kill('SIGKILL');
    await victim.exited;
    // Either the sweeper (node timeout) or the first frame that finds no listener holds B's place.
    a.send(cand(id, 0));
    assert.deepEqual(await a.next('peer', 30_000), { type: 'peer', sessionId: id, state: 'away' });
    for (let i = 1; i < 5; i++) a.send(cand(id, i));
    await flush(a, id);
    const b2 = await connect(n2);
    assert.equal((await b2.join(id, jb.resume as string)).peer, true);
    for (let i = 0; i < 5; i++) assert.deepEqual(await b2.next('candidate'), cand(id, i));
    await expectQuiet(b2, id);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    a.send(offer(id, 'after'));
    assert.deepEqual(await b2.next('offer'), offer(id, 'after'));
    await endAll([{ id, by: a }]);
  });

  test('a node killed after queueing frames: the queue survives it and reaches the resumer', async () => {
    const victim = await cluster.addNode();
    const { id, a, b, jb } = await pairAcross(victim, n1);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    for (let i = 0; i < 3; i++) a.send(cand(id, i));
    await flush(a, id);
    victim.kill('SIGKILL');
    await victim.exited;
    const b2 = await connect(n3);
    assert.equal((await b2.join(id, jb.resume as string)).peer, true);
    for (let i = 0; i < 3; i++) assert.deepEqual(await b2.next('candidate'), cand(id, i));
    // A's place (on the dead node) is held, so B is told its peer is away.
    assert.deepEqual(await b2.next('peer', 30_000), { type: 'peer', sessionId: id, state: 'away' });
    await endAll([{ id, by: b2 }]);
  });

  test("a join never answers SESSION_FULL because of a dead node's place", async () => {
    const victim = await cluster.addNode();
    const { id, a } = await pairAcross(n1, victim);
    victim.kill('SIGKILL');
    await victim.exited;
    assert.deepEqual(await a.next('peer', 30_000), { type: 'peer', sessionId: id, state: 'away' });
    const c = await connect(n3);
    const joined = await c.join(id);
    assert.equal(joined.type, 'joined', JSON.stringify(joined));
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    await endAll([{ id, by: a }]);
  });
});

describe('Redis faults', () => {
  test('CLIENT PAUSE: frames across nodes wait and then arrive in order; same-node pairs are not held up', async () => {
    const cross = await pairAcross(n1, n2);
    const local = await pairAcross(n3, n3);
    await cluster.redis.pause(1500);
    for (let i = 0; i < 5; i++) cross.a.send(cand(cross.id, i));
    local.a.send(offer(local.id, 'local'));
    assert.deepEqual(await local.b.next('offer'), offer(local.id, 'local'));
    for (let i = 0; i < 5; i++) assert.deepEqual(await cross.b.next('candidate', 20_000), cand(cross.id, i));
    await endAll([
      { id: cross.id, by: cross.a },
      { id: local.id, by: local.a },
    ]);
  });

  test('CLIENT KILL TYPE pubsub: subscribers reconnect and cross-node frames flow again', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    assert.ok((await cluster.redis.killSubscribers()) >= 3);
    await sleep(200);
    await until('every node healthy again', allHealthy([n1, n2, n3]));
    a.send(offer(id, 'after-cut'));
    assert.deepEqual(await b.next('offer'), offer(id, 'after-cut'));
    b.send(offer(id, 'back'));
    assert.deepEqual(await a.next('offer'), offer(id, 'back'));
    await endAll([{ id, by: a }]);
  });

  test('Redis unreachable: same-node calls go on, joins get SERVER_BUSY, /healthz is 503; all recovers by itself', async () => {
    const local = await pairAcross(n1, n1);
    await cluster.redis.kill();
    try {
      await until('/healthz 503', async () => (await health(n1)) === 503);
      local.a.send(offer(local.id, 'no-redis'));
      assert.deepEqual(await local.b.next('offer'), offer(local.id, 'no-redis'));
      const c = await connect(n2);
      const fresh = uuid();
      c.send({ type: 'join', sessionId: fresh });
      await expectError(c, 'SERVER_BUSY', fresh);
      // The child's log line may arrive after the error frame: wait for it (bounded).
      await until('the redis-unavailable log line', () =>
        n2.logs.some((l) => l.includes('"event":"redis-unavailable"')),
      );
    } finally {
      await cluster.redis.start();
    }
    await until('every node healthy again', allHealthy([n1, n2, n3]));
    const again = await pairAcross(n2, n3);
    again.a.send(offer(again.id, 'recovered'));
    assert.deepEqual(await again.b.next('offer'), offer(again.id, 'recovered'));
    // The same-node call came through the data loss (its node restored it): it ends cleanly too.
    await endAll([
      { id: local.id, by: local.a },
      { id: again.id, by: again.a },
    ]);
  });

  test('Redis restarted (all data lost): calls carry on; a session hung up just before is never restored', async () => {
    await until('every node healthy', allHealthy([n1, n2, n3]));
    const live = await pairAcross(n1, n2);
    const ended = await pairAcross(n2, n3);
    ended.a.send({ type: 'hangup', sessionId: ended.id });
    await ended.b.next('hangup');
    await cluster.redis.restart();
    await until('every node healthy again', allHealthy([n1, n2, n3]));
    // The nodes restore what they hold: the call carries on without the clients doing anything.
    let got: Frame | null = null;
    for (let i = 0; i < 50 && got === null; i++) {
      live.a.send(offer(live.id, `carry-${i}`));
      const frame = await live.b.next(undefined, 20_000);
      if (frame.type === 'offer') got = frame;
    }
    assert.ok(got !== null);
    live.b.send(offer(live.id, 'reply'));
    assert.deepEqual(await live.a.next('offer'), offer(live.id, 'reply'));
    // A third participant is still refused: both places were restored.
    const c = await connect(n3);
    c.send({ type: 'join', sessionId: live.id });
    await expectError(c, 'SESSION_FULL', live.id);
    for (const [token, node] of [
      [ended.ja.resume, n1],
      [ended.jb.resume, n3],
    ] as const) {
      const s = await connect(node);
      s.send({ type: 'join', sessionId: ended.id, resume: token });
      await expectError(s, 'SESSION_ENDED', [ended.id, null]);
    }
    await endAll([{ id: live.id, by: live.a }]);
    assert.deepEqual(await sessionTraces(cluster.redis, [ended.id]), []);
  });

  test('X6: no uncaught exception or unhandled rejection in this process', () => {
    assert.equal(faults.count, 0);
  });
});
