// The protocol rules across nodes: three HomeCall processes share one redis-server, and the two
// participants of each session sit on different nodes on purpose (README "Several nodes").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Cluster,
  type CrossPair,
  candidateFrame as cand,
  connectTo as connect,
  pairAcross,
  startCluster,
} from '../helpers/cluster.js';
import { uuid } from '../helpers/ids.js';
import { assertError, expectError, expectQuiet, expectQuietVia, offer, sleep } from '../helpers/protocol.js';
import { sessionTraces, stopAllRedis } from '../helpers/redis.js';
import type { ChildServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';

let cluster: Cluster;
let n1: ChildServer;
let n2: ChildServer;
let n3: ChildServer;
const faults = useIntegrationSuite();

before(async () => {
  cluster = await startCluster(3, {
    '--queue-frames': '8',
    '--rate-burst-frames': '200',
    '--sockets-per-address': '2000',
  });
  [n1, n2, n3] = cluster.nodes as [ChildServer, ChildServer, ChildServer];
});
after(() => stopAllRedis());

describe('pairing and relay across nodes', () => {
  test('rule 1 and 3: A on node 1, B on node 2: both see each other and frames flow both ways', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    a.send(offer(id, 'from-a'));
    assert.deepEqual(await b.next('offer'), offer(id, 'from-a'));
    b.send({ type: 'answer', sessionId: id, sdp: offer(id, 'from-b').sdp });
    assert.deepEqual(await a.next('answer'), { type: 'answer', sessionId: id, sdp: offer(id, 'from-b').sdp });
  });

  test('rule 1: a third participant on node 3 is refused SESSION_FULL; the pair is untouched', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    const c = await connect(n3);
    c.send({ type: 'join', sessionId: id });
    await expectError(c, 'SESSION_FULL', id);
    a.send(offer(id, 'still'));
    assert.deepEqual(await b.next('offer'), offer(id, 'still'));
  });

  test('rule 3: frames sent while alone are queued in Redis and reach the newcomer on another node, FIFO', async () => {
    const id = uuid();
    const a = await connect(n1);
    await a.join(id);
    for (let i = 0; i < 5; i++) a.send(cand(id, i));
    a.send({ type: 'ping', sessionId: id });
    await a.next('pong');
    const b = await connect(n2);
    assert.equal((await b.join(id)).peer, true);
    for (let i = 0; i < 5; i++) assert.deepEqual(await b.next('candidate'), cand(id, i));
  });

  test("rule 3: a burst both ways at once keeps each sender's order, with nothing lost or doubled", async () => {
    const { id, a, b } = await pairAcross(n1, n3);
    const N = 150;
    for (let i = 0; i < N; i++) {
      a.send(cand(id, i));
      b.send(cand(id, 1000 + i));
    }
    for (let i = 0; i < N; i++) assert.deepEqual(await b.next('candidate'), cand(id, i));
    for (let i = 0; i < N; i++) assert.deepEqual(await a.next('candidate'), cand(id, 1000 + i));
    // Markers along the same cross-node path: anything still owed arrives ahead of them.
    await expectQuietVia(a, b, id);
    await expectQuietVia(b, a, id);
  });

  test('isolation: 100 parallel sessions split across nodes only ever see their own frames', async () => {
    const nodes = [n1, n2, n3];
    const pairs: CrossPair[] = [];
    // Ten at a time: all 100 sessions are open together, but the handshakes do not pile up.
    for (let i = 0; i < 100; i += 10) {
      const batch = Array.from({ length: 10 }, (_, j) =>
        pairAcross(nodes[(i + j) % 3] as ChildServer, nodes[(i + j + 1) % 3] as ChildServer),
      );
      pairs.push(...(await Promise.all(batch)));
    }
    for (const { id, a, b } of pairs) {
      a.send(offer(id, `a-${id}`));
      b.send(offer(id, `b-${id}`));
    }
    for (const { id, a, b } of pairs) {
      assert.deepEqual(await b.next('offer'), offer(id, `a-${id}`));
      assert.deepEqual(await a.next('offer'), offer(id, `b-${id}`));
    }
    // A marker from each B over the same cross-node path must be its A's next frame.
    await Promise.all(pairs.map(({ id, a, b }) => expectQuietVia(b, a, id)));
    for (const { id, a } of pairs) a.send({ type: 'hangup', sessionId: id });
    await Promise.all(pairs.flatMap(({ a, b }) => [a.waitClose(), b.waitClose()]));
  });
});

describe('ending and leaving across nodes', () => {
  test('rule 5: hangup on node 1 reaches B on node 2 with its reason; the id is free at once on any node', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    a.send({ type: 'hangup', sessionId: id, reason: 'user' });
    assert.deepEqual(await b.next('hangup'), { type: 'hangup', sessionId: id, reason: 'user' });
    assert.deepEqual(await a.next('hangup'), { type: 'hangup', sessionId: id, reason: 'user' });
    assert.equal((await b.waitClose()).code, 1000);
    const c = await connect(n3);
    assert.equal((await c.join(id)).peer, false);
  });

  test('rule 5 / R3: a resume after hangup is SESSION_ENDED on every node', async () => {
    const { id, a, b, ja, jb } = await pairAcross(n1, n2);
    a.send({ type: 'hangup', sessionId: id });
    await b.next('hangup');
    await b.waitClose();
    for (const [token, node] of [
      [ja.resume, n3],
      [jb.resume, n1],
    ] as const) {
      const s = await connect(node);
      s.send({ type: 'join', sessionId: id, resume: token });
      await expectError(s, 'SESSION_ENDED', [id, null]);
    }
  });

  test('rule 6: a clean close on node 2 frees the place at once: A on node 1 sees left, a newcomer on node 3 pairs', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    b.close(1000);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'left' });
    const c = await connect(n3);
    assert.equal((await c.join(id)).peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  });

  test('rule 2 and 6: B drops on node 2, A queues; B resumes on node 3 and gets the queue in order, once', async () => {
    const { id, a, b, jb } = await pairAcross(n1, n2);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    for (let i = 0; i < 4; i++) a.send(cand(id, i));
    a.send({ type: 'ping', sessionId: id });
    await a.next('pong');
    const b2 = await connect(n3);
    const joined = await b2.join(id, jb.resume as string);
    assert.equal(joined.peer, true);
    for (let i = 0; i < 4; i++) assert.deepEqual(await b2.next('candidate'), cand(id, i));
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    a.send(offer(id, 'live'));
    assert.deepEqual(await b2.next('offer'), offer(id, 'live'));
    await expectQuiet(b2, id);
  });

  test('rule 1: a newcomer on node 3 takes over a held place; the old token is then refused', async () => {
    const { id, a, b, jb } = await pairAcross(n1, n2);
    b.drop();
    await a.next('peer');
    a.send(offer(id, 'for-the-ghost'));
    a.send({ type: 'ping', sessionId: id });
    await a.next('pong');
    const c = await connect(n3);
    assert.equal((await c.join(id)).peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    await expectQuiet(c, id);
    const ghost = await connect(n1);
    ghost.send({ type: 'join', sessionId: id, resume: jb.resume });
    await expectError(ghost, 'SESSION_FULL', id);
  });
});

describe('tokens and limits across nodes', () => {
  test('a forged token and a token of another session are refused on every node', async () => {
    const one = await pairAcross(n1, n2);
    const other = await pairAcross(n2, n3);
    const forged = `${(one.jb.resume as string).slice(0, -4)}AAAA`;
    for (const [token, node] of [
      [forged, n3],
      [other.jb.resume as string, n1],
    ] as const) {
      const s = await connect(node);
      s.send({ type: 'join', sessionId: one.id, resume: token });
      await expectError(s, 'SIGNAL_NOT_FOUND', [one.id, null]);
    }
    one.a.send(offer(one.id, 'unharmed'));
    assert.deepEqual(await one.b.next('offer'), offer(one.id, 'unharmed'));
  });

  test('rule 3: the queue for a participant held on another node is capped (8 frames here): QUEUE_FULL', async () => {
    const { id, a, b } = await pairAcross(n1, n2);
    b.drop();
    await a.next('peer');
    for (let i = 0; i < 9; i++) a.send(cand(id, i));
    assertError(await a.next('error'), 'QUEUE_FULL', id);
    assert.ok(a.isOpen);
  });

  test('rule 1 / R5: three sockets on three nodes race for one id, 1,000 times: exactly two are admitted', async () => {
    const nodes = [n1, n2, n3];
    const ROUNDS = 1000;
    const PARALLEL = 10;
    let round = 0;
    const ids: string[] = [];
    const race = async () => {
      while (round < ROUNDS) {
        round += 1;
        const id = uuid();
        ids.push(id);
        const sockets = await Promise.all(nodes.map((n) => connect(n)));
        for (const s of sockets) s.send({ type: 'join', sessionId: id });
        const answers = await Promise.all(sockets.map((s) => s.next()));
        const kinds = answers.map((f) => (f.type === 'joined' ? 'joined' : String(f.code))).sort();
        assert.deepEqual(kinds, ['SESSION_FULL', 'joined', 'joined'], id);
        // A clean close frees both places at once; no need to wait for it.
        for (const s of sockets) s.close(1000);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, race));
    // No key left behind: nothing of the 1,000 sessions stays in Redis once their sockets closed.
    let traces: string[] = [];
    for (let i = 0; i < 100; i++) {
      traces = await sessionTraces(cluster.redis, ids);
      if (traces.length === 0) break;
      await sleep(100);
    }
    assert.deepEqual(traces, []);
  });

  test('no key is left behind once every session ended', async () => {
    let keys: string[] = [];
    // Bounded wait: the last closes and sweeps settle.
    for (let i = 0; i < 100; i++) {
      keys = (await cluster.redis.keys('hc:*')).filter((k) => !/^hc:(epoch|nodes|n:[0-9a-f]+|t:[0-9a-f]+)$/.test(k));
      if (keys.length === 0) break;
      await sleep(100);
    }
    assert.deepEqual(keys, []);
    for (const key of await cluster.redis.keys('hc:*')) {
      const ttl = Number(await cluster.redis.command(['PTTL', key]));
      assert.ok(ttl > 0, `${key} has no TTL`);
    }
  });

  test('X6: no uncaught exception or unhandled rejection in this process', () => {
    assert.equal(faults.count, 0);
  });
});
