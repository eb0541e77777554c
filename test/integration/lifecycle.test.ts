// Session lifecycle over real wss: protocol.md rules 1, 2, 5 and 6; reliability.md S5–S7, S9, S10, R1, R3, R4, R6, X1, X2.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import {
  assertLogsClean,
  createdTag,
  expectError,
  expectQuiet,
  expectQuietVia,
  hasEnded,
  joinPair,
  offer,
  waitFor,
} from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
let timed: RunningServer;
const faults = useIntegrationSuite();
const secrets: string[] = [];

// FAST_FLAGS: --grace 2s, --ping-interval 500ms, --drop-after 1500ms.
const GRACE_MS = 2000;

before(async () => {
  server = await startServer();
  timed = await startServer({ '--alone-timeout': '500ms', '--session-lifetime': '1500ms', '--join-timeout': '2s' });
});

const connect = (url = server.wsUrl) => TestClient.connect(url);

describe('hangup (rule 5, S5)', () => {
  test('rule 5: hangup reaches both (same reason), closes both with 1000', async () => {
    const { id, a, b, ja, jb } = await joinPair(server.wsUrl);
    a.send({ type: 'hangup', sessionId: id, reason: 'user' });
    assert.deepEqual(await b.next('hangup'), { type: 'hangup', sessionId: id, reason: 'user' });
    assert.deepEqual(await a.next('hangup'), { type: 'hangup', sessionId: id, reason: 'user' });
    assert.equal((await a.waitClose()).code, 1000);
    assert.equal((await b.waitClose()).code, 1000);
    secrets.push(id, ja.resume as string, jb.resume as string);
  });

  test('rule 5: hangup without a reason is relayed without one', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    b.send({ type: 'hangup', sessionId: id });
    assert.deepEqual(await a.next('hangup'), { type: 'hangup', sessionId: id });
    assert.deepEqual(await b.next('hangup'), { type: 'hangup', sessionId: id });
    assert.equal((await a.waitClose()).code, 1000);
    assert.equal((await b.waitClose()).code, 1000);
  });

  test('rule 5: hangup frees the id at once: a new join there is a fresh session (peer false)', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.send({ type: 'hangup', sessionId: id });
    await a.next('hangup');
    await b.next('hangup');
    // No wait for the closes: the id is free at once.
    const c = await connect();
    assert.equal((await c.join(id)).peer, false);
    const d = await connect();
    assert.equal((await d.join(id)).peer, true);
    assert.deepEqual(await c.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  });

  test('rule 5: nothing of the old queue leaks into the next session on the same id', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    a.send(offer(id, 'old-1'));
    a.send(offer(id, 'old-2'));
    a.send({ type: 'hangup', sessionId: id });
    assert.deepEqual(await a.next('hangup'), { type: 'hangup', sessionId: id });
    assert.equal((await a.waitClose()).code, 1000);
    const c = await connect();
    assert.equal((await c.join(id)).peer, false);
    const d = await connect();
    assert.equal((await d.join(id)).peer, true);
    await expectQuiet(d, id);
    assert.deepEqual(await c.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    await expectQuiet(c, id);
  });

  test('rule 5: a lone participant queueing for an empty place, then hanging up, leaves nothing for the next pair', async () => {
    const id = uuid();
    const a = await connect();
    await a.join(id);
    a.send(offer(id, 'lone-1'));
    a.send({ type: 'hangup', sessionId: id });
    assert.deepEqual(await a.next('hangup'), { type: 'hangup', sessionId: id });
    assert.equal((await a.waitClose()).code, 1000);
    const c = await connect();
    assert.equal((await c.join(id)).peer, false);
    const d = await connect();
    assert.equal((await d.join(id)).peer, true);
    await expectQuiet(d, id);
  });

  test('rule 2 / R3: resume after hangup is SESSION_ENDED, for both tokens', async () => {
    const { id, a, b, ja, jb } = await joinPair(server.wsUrl);
    a.send({ type: 'hangup', sessionId: id });
    await b.next('hangup');
    await b.waitClose();
    for (const token of [ja.resume, jb.resume]) {
      const s = await connect();
      s.send({ type: 'join', sessionId: id, resume: token });
      await expectError(s, 'SESSION_ENDED', [id, null]);
    }
  });
});

describe('clean close and abrupt drop (rule 6)', () => {
  for (const code of [1000, 1001]) {
    test(`rule 6: a clean close (${code}) frees the place at once: the other gets peer left, a newcomer gets peer true`, async () => {
      const { id, a, b } = await joinPair(server.wsUrl);
      b.close(code);
      assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'left' });
      const c = await connect();
      assert.equal((await c.join(id)).peer, true);
      assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
      a.send(offer(id, 'to-c'));
      assert.deepEqual(await c.next('offer'), offer(id, 'to-c'));
    });
  }

  test('rule 6 / S7: when the last participant leaves cleanly the context and its queue are dropped', async () => {
    const id = uuid();
    const a = await connect();
    const mark = server.logs.length;
    await a.join(id);
    const tag = createdTag(server.logs.slice(mark));
    a.send(offer(id, 'discarded'));
    a.close(1000);
    await a.waitClose();
    await waitFor('the context ended', () => hasEnded(server.logs, tag, 'left'));
    const b = await connect();
    assert.equal((await b.join(id)).peer, false);
    await expectQuiet(b, id);
  });

  test('rule 6 / X1: an abrupt drop holds the place (away); resume re-attaches (back, fresh token) and delivers the queue in order exactly once', async () => {
    const { id, a, b, jb } = await joinPair(server.wsUrl);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    const queued = [
      offer(id, 'gap-1'),
      { type: 'candidate', sessionId: id, candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 1 typ host' } },
      offer(id, 'gap-2'),
    ];
    for (const f of queued) a.send(f);
    await expectQuiet(a, id);
    const b2 = await connect();
    const j2 = await b2.join(id, jb.resume as string);
    assert.equal(j2.sessionId, id);
    assert.equal(j2.peer, true);
    assert.equal(typeof j2.resume, 'string');
    assert.notEqual(j2.resume, jb.resume);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    for (const f of queued) assert.deepEqual(await b2.next(), f);
    await expectQuiet(b2, id);
    // Live relay both ways afterwards.
    b2.send({ type: 'answer', sessionId: id, sdp: 'v=0 back' });
    assert.deepEqual(await a.next('answer'), { type: 'answer', sessionId: id, sdp: 'v=0 back' });
    a.send(offer(id, 'live'));
    assert.deepEqual(await b2.next('offer'), offer(id, 'live'));
    secrets.push(id, jb.resume as string, j2.resume as string);
  });

  test('rule 6: the first participant can resume too, and keeps the roles (its peer flag reflects the attached other)', async () => {
    const { id, a, b, ja } = await joinPair(server.wsUrl);
    a.drop();
    assert.deepEqual(await b.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    const a2 = await connect();
    const j = await a2.join(id, ja.resume as string);
    assert.equal(j.peer, true);
    assert.deepEqual(await b.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
  });

  test('rule 6: grace expiry without resume gives peer left and frees the place', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    const awayAt = Date.now();
    assert.deepEqual(await a.next('peer', GRACE_MS + 2000), { type: 'peer', sessionId: id, state: 'left' });
    assert.ok(Date.now() - awayAt >= GRACE_MS - 400, `left came after ${Date.now() - awayAt} ms, before the grace`);
    const c = await connect();
    assert.equal((await c.join(id)).peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  });

  test('rule 6 / X2: a socket that misses pings is treated as dropped (away) and may resume', async () => {
    const id = uuid();
    const a = await connect();
    await a.join(id);
    const b = await TestClient.connect(server.wsUrl, { autoPong: false });
    const jb = await b.join(id);
    await a.next('peer');
    // --ping-interval 500ms, --drop-after 1500ms: detected within about 2 s.
    assert.deepEqual(await a.next('peer', 5000), { type: 'peer', sessionId: id, state: 'away' });
    const b2 = await connect();
    assert.equal((await b2.join(id, jb.resume as string)).peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
  });

  test('rule 6: both dropped and neither resumes: the context is dropped after the grace', async () => {
    const mark = server.logs.length;
    const { id, a, b } = await joinPair(server.wsUrl);
    const tag = createdTag(server.logs.slice(mark));
    a.drop();
    b.drop();
    await waitFor('the context ended after the grace', () => hasEnded(server.logs, tag, 'left'), GRACE_MS + 10_000);
    const c = await connect();
    assert.equal((await c.join(id)).peer, false);
    await expectQuiet(c, id);
  });
});

describe('takeover and stale tokens (rule 1, rule 2, R3, R4, R6)', () => {
  test('rule 1 / R6: a newcomer takes over a held place (peer true; the other is told joined; the held queue is dropped); the old token is then SESSION_FULL', async () => {
    const { id, a, b, jb } = await joinPair(server.wsUrl);
    b.drop();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    a.send(offer(id, 'for-the-ghost'));
    const c = await connect();
    const jc = await c.join(id);
    assert.equal(jc.peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    await expectQuiet(c, id);
    // The dropped participant comes back too late.
    const b2 = await connect();
    b2.send({ type: 'join', sessionId: id, resume: jb.resume });
    await expectError(b2, 'SESSION_FULL', [id, null]);
    await expectQuiet(a, id);
    await expectQuiet(c, id);
    await expectQuietVia(a, c, id, 'to-c');
  });

  test('R6: with both places attached (none held), a newcomer is SESSION_FULL', async () => {
    const { id } = await joinPair(server.wsUrl);
    const c = await connect();
    c.send({ type: 'join', sessionId: id });
    await expectError(c, 'SESSION_FULL', [id, null]);
    assert.equal((await c.waitClose()).code, 1008);
  });

  test('R3: a token superseded by a later joined stops working (SIGNAL_NOT_FOUND); the current holder is untouched', async () => {
    const { id, a, b, jb } = await joinPair(server.wsUrl);
    b.drop();
    await a.next('peer');
    const b2 = await connect();
    const j2 = await b2.join(id, jb.resume as string);
    await a.next('peer');
    const s = await connect();
    s.send({ type: 'join', sessionId: id, resume: jb.resume });
    await expectError(s, 'SIGNAL_NOT_FOUND', [id, null]);
    await expectQuiet(a, id);
    await expectQuiet(b2, id);
    assert.ok(b2.isOpen);
    // The fresh token is the one that works now (after another drop).
    b2.drop();
    await a.next('peer');
    const b3 = await connect();
    assert.equal((await b3.join(id, j2.resume as string)).peer, true);
  });

  test('rule 2 / R4: resume while the old socket is still attached (half-open) re-attaches; the old socket is closed 1008 and is no third participant', async () => {
    const { id, a, b, jb } = await joinPair(server.wsUrl);
    const b2 = await connect();
    const j2 = await b2.join(id, jb.resume as string);
    assert.equal(j2.peer, true);
    assert.notEqual(j2.resume, jb.resume);
    assert.equal((await b.waitClose()).code, 1008);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    a.send(offer(id, 'to-b2'));
    assert.deepEqual(await b2.next('offer'), offer(id, 'to-b2'));
    assert.deepEqual(
      b.pending().filter((f) => f.type === 'offer'),
      [],
    );
  });
});

describe('resume races (R5)', () => {
  test('R5: two sockets presenting the same valid token at once: exactly one wins, 10 races', async () => {
    for (let race = 0; race < 10; race++) {
      const { id, a, b, jb } = await joinPair(server.wsUrl);
      b.drop();
      await a.next('peer');
      const [x, y] = await Promise.all([connect(), connect()]);
      x.send({ type: 'join', sessionId: id, resume: jb.resume });
      y.send({ type: 'join', sessionId: id, resume: jb.resume });
      const [fx, fy] = await Promise.all([x.next(), y.next()]);
      const winners = [fx, fy].filter((f) => f.type === 'joined');
      assert.equal(winners.length, 1, JSON.stringify([fx.type, fx.code, fy.type, fy.code]));
      const loser = fx.type === 'joined' ? fy : fx;
      assert.equal(loser.type, 'error');
      assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
      await expectQuiet(a, id);
      a.ws.terminate();
      x.ws.terminate();
      y.ws.terminate();
    }
  });
});

describe('alone and lifetime limits (S9, S10)', () => {
  test('S9: alone longer than --alone-timeout gives hangup reason timeout then close 1000; the id is reusable', async () => {
    const id = uuid();
    const a = await connect(timed.wsUrl);
    const started = Date.now();
    await a.join(id);
    assert.deepEqual(await a.next('hangup', 3000), { type: 'hangup', sessionId: id, reason: 'timeout' });
    assert.ok(Date.now() - started >= 450, 'not before the alone timeout');
    assert.equal((await a.waitClose()).code, 1000);
    const b = await connect(timed.wsUrl);
    assert.equal((await b.join(id)).peer, false);
  });

  test('S10: over --session-lifetime both get hangup reason lifetime then close 1000; the context is cleared', async () => {
    const { id, a, b } = await joinPair(timed.wsUrl);
    assert.deepEqual(await a.next('hangup', 4000), { type: 'hangup', sessionId: id, reason: 'lifetime' });
    assert.deepEqual(await b.next('hangup', 1000), { type: 'hangup', sessionId: id, reason: 'lifetime' });
    assert.equal((await a.waitClose()).code, 1000);
    assert.equal((await b.waitClose()).code, 1000);
    const c = await connect(timed.wsUrl);
    assert.equal((await c.join(id)).peer, false);
  });
});

test('rule 8: no log line of this file carries a session id, token, SDP or IP', () => {
  assertLogsClean(server.logs, secrets);
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
