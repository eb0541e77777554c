// Rate and queue limits over real wss: protocol.md "Limits", rule 3; reliability.md D1, S7.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type Frame, TestClient } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import { assertError, expectError, expectQuiet, expectQuietVia, joinPair, offer, sleep } from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let rate: RunningServer;
let queue: RunningServer;
const faults = useIntegrationSuite();

before(async () => {
  rate = await startServer({ '--rate-burst-frames': '10', '--rate-frames-per-sec': '5' });
  // --queue-bytes may not be below --max-frame-bytes (config rule), so both shrink to 8 KiB.
  queue = await startServer({ '--queue-frames': '5', '--queue-bytes': '8KiB', '--max-frame-bytes': '8KiB' });
});

const cand = (sessionId: string, n: number) => ({
  type: 'candidate',
  sessionId,
  candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${n} typ host` },
});

/**
 * A ping from a rate-limited socket is dropped until its bucket refills (5 frames/s here), so it
 * is retried, a few times, until the pong: every frame sent before it has then been handled.
 */
async function pongAfterRefill(c: TestClient, sessionId: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    await sleep(250);
    c.send({ type: 'ping', sessionId });
    const f = await c.next(undefined, 250).catch(() => null);
    if (f === null) continue;
    assert.deepEqual(f, { type: 'pong', sessionId }, 'pong after the burst, nothing else');
    return;
  }
  throw new Error('no pong within 20 pings: the bucket never refilled');
}

/** The frames `c` gets before the pong to its ping (everything owed to it until now), consumed. */
async function framesBeforePong(c: TestClient, sessionId: string): Promise<Frame[]> {
  c.send({ type: 'ping', sessionId });
  const before: Frame[] = [];
  for (let f = await c.next(); f.type !== 'pong'; f = await c.next()) before.push(f);
  return before;
}

describe('rate limit (token bucket per socket)', () => {
  test('D1: over the burst, frames are not relayed and the sender gets RATE_LIMITED once; the peer gets at most burst + refill', async () => {
    const { id, a, b } = await joinPair(rate.wsUrl);
    // The join used one token of the 10.
    for (let i = 0; i < 30; i++) a.send(cand(id, i));
    assertError(await a.next('error'), 'RATE_LIMITED', [id, null]);
    // Every frame of the burst has been handled once a later ping is answered; b's pong then
    // comes after everything relayed to it.
    await pongAfterRefill(a, id);
    const limited = a.frames.filter((f) => f.type === 'error');
    assert.equal(limited.length, 1, JSON.stringify(a.frames));
    const got = await framesBeforePong(b, id);
    assert.ok(
      got.every((f) => f.type === 'candidate'),
      JSON.stringify(got),
    );
    assert.ok(got.length >= 8 && got.length <= 13, `${got.length} relayed`);
    // What got through is the head of the burst, in order.
    for (const [i, f] of got.entries()) assert.deepEqual(f, cand(id, i));
    assert.ok(a.isOpen);
  });

  test('D1: after the bucket refills, relaying works again', async () => {
    const { id, a, b } = await joinPair(rate.wsUrl);
    for (let i = 0; i < 15; i++) a.send(cand(id, i));
    await a.next('error');
    // The refill itself takes time (5 frames/s): this wait is the behaviour under test.
    await sleep(1200);
    await framesBeforePong(b, id);
    await expectQuietVia(a, b, id, 'refilled');
    await expectQuiet(b, id);
  });

  test('D1: persistent abuse closes the socket with 1008, with at most one RATE_LIMITED per second', async () => {
    const { id, a } = await joinPair(rate.wsUrl);
    const started = Date.now();
    const timer = setInterval(() => {
      if (a.isOpen) for (let i = 0; i < 20; i++) a.send(cand(id, i));
    }, 100);
    try {
      const { code } = await a.waitClose(8000);
      assert.equal(code, 1008);
    } finally {
      clearInterval(timer);
    }
    const seconds = (Date.now() - started) / 1000;
    const errors = a.frames.filter((f) => f.type === 'error');
    assert.ok(errors.length >= 1 && errors.length <= Math.ceil(seconds) + 1, `${errors.length} errors in ${seconds}s`);
    for (const f of errors) assert.ok(f.code === 'RATE_LIMITED', JSON.stringify(f));
  });

  test('D1: the other sessions are unaffected by an abusive socket', async () => {
    const abuser = await joinPair(rate.wsUrl);
    const calm = await joinPair(rate.wsUrl);
    for (let i = 0; i < 50; i++) abuser.a.send(cand(abuser.id, i));
    calm.a.send(offer(calm.id, 'calm'));
    assert.deepEqual(await calm.b.next('offer'), offer(calm.id, 'calm'));
  });
});

describe('queue limit (rule 3, S7)', () => {
  test('S7: the frame that would pass --queue-frames is refused with QUEUE_FULL; the earlier ones are kept and delivered in order', async () => {
    const id = uuid();
    const a = await TestClient.connect(queue.wsUrl);
    await a.join(id);
    for (let i = 1; i <= 7; i++) a.send(offer(id, `q${i}`));
    await expectError(a, 'QUEUE_FULL', [id, null]);
    await expectError(a, 'QUEUE_FULL', [id, null]);
    const b = await TestClient.connect(queue.wsUrl);
    await b.join(id);
    for (let i = 1; i <= 5; i++) assert.deepEqual(await b.next(), offer(id, `q${i}`));
    await expectQuiet(b, id);
  });

  test('S7: the frame that would pass --queue-bytes is refused with QUEUE_FULL; the earlier ones are kept', async () => {
    const id = uuid();
    const a = await TestClient.connect(queue.wsUrl);
    await a.join(id);
    const big = (n: number) => ({ type: 'offer', sessionId: id, sdp: `v=0 ${n} ${'x'.repeat(3000)}` });
    a.send(big(1));
    a.send(big(2));
    a.send(big(3)); // about 9.1 KiB queued with this one: over 8 KiB
    await expectError(a, 'QUEUE_FULL', [id, null]);
    const b = await TestClient.connect(queue.wsUrl);
    await b.join(id);
    assert.deepEqual(await b.next(), big(1));
    assert.deepEqual(await b.next(), big(2));
    await expectQuiet(b, id);
  });

  test('rule 3: the queue for a held (away) place is bounded too, and the kept frames arrive on resume', async () => {
    const { id, a, b, jb } = await joinPair(queue.wsUrl);
    b.drop();
    await a.next('peer');
    for (let i = 1; i <= 6; i++) a.send(offer(id, `h${i}`));
    await expectError(a, 'QUEUE_FULL', [id, null]);
    const b2 = await TestClient.connect(queue.wsUrl);
    await b2.join(id, jb.resume as string);
    for (let i = 1; i <= 5; i++) assert.deepEqual(await b2.next(), offer(id, `h${i}`));
    await expectQuiet(b2, id);
  });

  test('rule 3: an attached peer gets frames directly, beyond the queue limit', async () => {
    const { id, a, b } = await joinPair(queue.wsUrl);
    for (let i = 1; i <= 12; i++) a.send(offer(id, `d${i}`));
    for (let i = 1; i <= 12; i++) assert.deepEqual(await b.next(), offer(id, `d${i}`));
    await expectQuiet(a, id);
  });
});

describe('outbound backlog (D6)', () => {
  test('D6: a peer that stops reading is dropped once its backlog passes --max-backlog-bytes, as an abrupt drop (away)', async () => {
    const big = 64 * 1024 * 1024;
    const s = await startServer({
      '--max-backlog-bytes': '262144',
      '--rate-burst-bytes': String(big),
      '--rate-bytes-per-sec': String(big),
      '--rate-burst-frames': '10000',
      '--rate-frames-per-sec': '10000',
      '--grace': '5s',
    });
    const { id, a, b, jb } = await joinPair(s.wsUrl);
    (b.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = 'x'.repeat(50_000);
    let sent = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 10 && a.isOpen && sent < 400; i++, sent++)
        a.send({ type: 'offer', sessionId: id, sdp: payload });
    }, 20);
    try {
      const away = await a.next('peer', 8000);
      assert.deepEqual(away, { type: 'peer', sessionId: id, state: 'away' });
    } finally {
      clearInterval(timer);
    }
    // Treated as an abrupt drop: the place is held and the participant may resume.
    const b2 = await TestClient.connect(s.wsUrl);
    assert.equal((await b2.join(id, jb.resume as string)).peer, true);
    // Frames still in flight after the drop queue for the held place until it is full: never silently dropped.
    for (const f of a.pending().filter((x) => x.type === 'error')) assert.equal(f.code, 'QUEUE_FULL');
    await s.close();
  });
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
