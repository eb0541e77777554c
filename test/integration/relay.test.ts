// Relay, queueing and isolation over real wss: protocol.md rule 3, "Frames" (unknown fields dropped),
// reliability.md S1, S8, M6, M7, M10.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type Frame, TestClient } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import {
  assertLogsClean,
  expectError,
  expectQuiet,
  expectQuietVia,
  joinPair,
  offer,
  type Pair,
  sdp,
} from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
const faults = useIntegrationSuite();
const secrets: string[] = [];

before(async () => {
  // 100 parallel sessions need 200 sockets from 127.0.0.1.
  server = await startServer({ '--sockets-per-address': '1000', '--max-sessions': '1000', '--max-sockets': '2000' });
});

const connect = () => TestClient.connect(server.wsUrl);
const cand = (sessionId: string, n: number) => ({
  type: 'candidate',
  sessionId,
  candidate: {
    candidate: `candidate:${n} 1 udp 2122260223 192.0.2.${n % 250} ${50000 + n} typ host`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
});

describe('queue before the second participant (rule 1, rule 3, S1)', () => {
  test('rule 3: frames for a never-joined place queue FIFO and reach the second joiner in order, after its joined', async () => {
    const id = uuid();
    const a = await connect();
    await a.join(id);
    const sent = [
      offer(id, 'q1'),
      cand(id, 1),
      cand(id, 2),
      cand(id, 3),
      { type: 'candidate', sessionId: id, candidate: { candidate: '' } },
    ];
    for (const f of sent) a.send(f);
    await expectQuiet(a, id);
    const b = await connect();
    const jb = await b.join(id);
    assert.equal(jb.peer, true);
    for (const f of sent) assert.deepEqual(await b.next(), f);
    await expectQuiet(b, id);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    // Then live relay continues both ways; A receives nothing of its own.
    b.send({ type: 'answer', sessionId: id, sdp: sdp('ans') });
    assert.deepEqual(await a.next('answer'), { type: 'answer', sessionId: id, sdp: sdp('ans') });
    await expectQuiet(a, id);
    secrets.push(id);
  });

  test('S1 (property, 15 runs): any queued sequence is delivered in order, exactly once, then live relay continues', async () => {
    const frameArb = fc.oneof(
      fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.string({ minLength: 1, maxLength: 200 }) }),
      fc.record({
        type: fc.constant('candidate'),
        candidate: fc.record({
          candidate: fc.string({ maxLength: 100 }),
          sdpMid: fc.constantFrom('0', '1'),
          sdpMLineIndex: fc.nat(3),
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 40 }), async (frames) => {
        const id = uuid();
        const a = await connect();
        let b: TestClient | undefined;
        try {
          await a.join(id);
          const sent = frames.map((f) => JSON.parse(JSON.stringify({ sessionId: id, ...f })) as object);
          for (const f of sent) a.send(f);
          // A ping round trip makes sure every frame above reached the server before B joins.
          a.send({ type: 'ping', sessionId: id });
          await a.next('pong');
          b = await connect();
          await b.join(id);
          for (const f of sent) assert.deepEqual(await b.next(), f);
          b.send({ type: 'ping', sessionId: id });
          assert.deepEqual(await b.next(), { type: 'pong', sessionId: id });
          a.send(offer(id, 'live'));
          assert.deepEqual(await b.next(), offer(id, 'live'));
          assert.deepEqual(await a.next(), { type: 'peer', sessionId: id, state: 'joined' });
          assert.deepEqual(a.pending(), []);
        } finally {
          a.ws.terminate();
          b?.ws.terminate();
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('live relay', () => {
  test('rule 3: order is kept under a burst of 80 frames each way at once', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const n = 80;
    for (let i = 0; i < n; i++) {
      a.send(cand(id, i));
      b.send(cand(id, 1000 + i));
    }
    for (let i = 0; i < n; i++) {
      assert.deepEqual(await b.next(), cand(id, i));
      assert.deepEqual(await a.next(), cand(id, 1000 + i));
    }
    await expectQuiet(a, id);
    await expectQuiet(b, id);
  });

  test('M7: unknown fields are never relayed; the frame is rebuilt from allowlisted fields with the lower-case id', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const extras = {
      from: 'a',
      to: 'b',
      queue: [1, 2],
      sessionid: uuid(),
      code: 'SESSION_FULL',
      message: 'x',
      peer: true,
      state: 'left',
    };
    const many: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) many[`k${i}`] = i;
    a.send({ ...extras, ...many, type: 'offer', sessionId: id.toUpperCase(), sdp: sdp('m7') });
    a.send(
      `{"type":"answer","sessionId":"${id}","sdp":"v=0 a","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}`,
    );
    a.send({
      ...extras,
      type: 'candidate',
      sessionId: id,
      candidate: {
        candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: 'uf',
        ...extras,
      },
    });
    a.send(`{"type":"candidate","sessionId":"${id}","candidate":{"candidate":"c","__proto__":{"polluted":1},"x":1}}`);
    a.send({ type: 'hangup', sessionId: id, reason: 'done', ...extras });
    const o = await b.next('offer');
    assert.deepEqual(o, { type: 'offer', sessionId: id, sdp: sdp('m7') });
    assert.deepEqual(Object.keys(o), ['type', 'sessionId', 'sdp']);
    const an = await b.next('answer');
    assert.deepEqual(Object.keys(an), ['type', 'sessionId', 'sdp']);
    const c1 = await b.next('candidate');
    assert.deepEqual(c1, {
      type: 'candidate',
      sessionId: id,
      candidate: {
        candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: 'uf',
      },
    });
    const c2 = await b.next('candidate');
    assert.deepEqual(Object.keys(c2.candidate as object), ['candidate']);
    const h = await b.next('hangup');
    assert.deepEqual(h, { type: 'hangup', sessionId: id, reason: 'done' });
    assert.ok(b.raw.every((t) => !t.includes('polluted') && !t.includes('__proto__') && !t.includes('"from"')));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('M6: the empty-candidate end-of-candidates marker is relayed; null sdpMid/sdpMLineIndex are dropped', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.send({ type: 'candidate', sessionId: id, candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } });
    assert.deepEqual(await b.next('candidate'), { type: 'candidate', sessionId: id, candidate: { candidate: '' } });
  });

  test('M6: an invalid body is BAD_MESSAGE (with the own id) and nothing is relayed', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const bad = [
      { type: 'offer', sessionId: id },
      { type: 'answer', sessionId: id, sdp: '' },
      { type: 'candidate', sessionId: id, candidate: { candidate: 'c', sdpMLineIndex: -1 } },
      { type: 'candidate', sessionId: id, candidate: 'x'.repeat(40) },
    ];
    for (const f of bad) {
      const text = JSON.stringify(f);
      a.send(text);
      await expectError(a, 'BAD_MESSAGE', [id, null], text);
    }
    await expectQuietVia(a, b, id);
    assert.ok(a.isOpen);
  });

  test('M10: a client-sent error frame is BAD_MESSAGE and never reaches the peer', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const text = JSON.stringify({
      type: 'error',
      sessionId: id,
      code: 'SESSION_FULL',
      message: `<script>${'x'.repeat(100)}</script>`,
    });
    a.send(text);
    await expectError(a, 'BAD_MESSAGE', [id, null], text);
    for (const type of ['joined', 'peer', 'pong']) {
      a.send({ type, sessionId: id, peer: true, state: 'left', resume: 't', iceServers: [] });
      await expectError(a, 'BAD_MESSAGE', [id, null]);
    }
    await expectQuietVia(a, b, id);
  });
});

describe('isolation (S8)', () => {
  test('S8: 100 parallel sessions with tagged traffic: 0 cross deliveries, 0 losses, 0 duplicates', async () => {
    const sessions = 100;
    const perSide = 5;
    // Opened ten at a time: 200 parallel TLS handshakes on a shared 2-core machine can take seconds.
    const pairs: Pair[] = [];
    for (let i = 0; i < sessions; i += 10) {
      pairs.push(...(await Promise.all(Array.from({ length: 10 }, () => joinPair(server.wsUrl)))));
    }
    for (const p of pairs) {
      for (let i = 0; i < perSide; i++) {
        p.a.send(offer(p.id, `${p.id}-a-${i}`));
        p.b.send(offer(p.id, `${p.id}-b-${i}`));
      }
    }
    await Promise.all(
      pairs.map(async (p) => {
        for (let i = 0; i < perSide; i++) {
          assert.deepEqual(await p.b.next('offer', 10_000), offer(p.id, `${p.id}-a-${i}`));
          assert.deepEqual(await p.a.next('offer', 10_000), offer(p.id, `${p.id}-b-${i}`));
        }
      }),
    );
    // Each side's pong must be its next frame: no cross delivery or duplicate is still on its way.
    await Promise.all(pairs.flatMap((p) => [expectQuiet(p.a, p.id), expectQuiet(p.b, p.id)]));
    const all: Frame[] = pairs.flatMap((p) => [...p.a.pending(), ...p.b.pending()]);
    assert.deepEqual(all, []);
    for (const p of pairs) {
      for (const c of [p.a, p.b]) assert.ok(c.frames.every((f) => f.sessionId === p.id));
    }
  });
});

test('rule 8: no log line of this file carries a session id, token, SDP or IP', () => {
  assertLogsClean(server.logs, secrets);
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
