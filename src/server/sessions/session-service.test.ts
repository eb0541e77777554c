import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import pino from 'pino';
import { DEFAULT_LIMITS, type Limits, errorFrame, readEnvelope } from '../../shared/protocol/index.js';
import { noopMetrics } from '../testing/noop-metrics.js';
import { RecordingLink } from '../testing/recording-link.js';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { Connection } from './connection.js';
import { MemoryRegistry } from './memory-registry.js';
import { ResumeTokens } from './resume-token.js';
import type { SessionObserver } from './session-events.js';
import { SessionService } from './session-service.js';

const SECRET = randomBytes(32);

function setup(
  limits: Partial<Limits> = {},
  clock = new FakeClock(),
  registry?: MemoryRegistry,
  observers: SessionObserver[] = [],
) {
  const all: Limits = { ...DEFAULT_LIMITS, graceMs: 1000, aloneMs: 60_000, sessionLifetimeMs: 600_000, ...limits };
  const reg =
    registry ??
    new MemoryRegistry({ maxSessions: 100, queue: { frames: all.queueFrames, bytes: all.queueBytes }, clock });
  const service = new SessionService({
    registry: reg,
    tokens: new ResumeTokens(SECRET),
    logger: pino({ level: 'silent' }),
    metrics: noopMetrics,
    observers,
    limits: all,
    clock,
    iceServers: () => [{ urls: 'stun:127.0.0.1:3478' }],
    tagSession: (id) => `tag-${id.length}`,
  });
  const peer = () => {
    const link = new RecordingLink({ recordAfterClose: true });
    return { link, conn: service.open(link) };
  };
  return { service, registry: reg, clock, peer };
}

type Peer = { link: RecordingLink; conn: Connection };

async function send(service: SessionService, p: Peer, frame: object): Promise<void> {
  const text = JSON.stringify(frame);
  const env = readEnvelope(text);
  assert.ok(env.ok, 'test frames are well-formed envelopes');
  service.receive(p.conn, env.value, text.length);
  await p.conn.chain;
}

async function close(service: SessionService, p: Peer, clean: boolean): Promise<void> {
  service.closed(p.conn, clean);
  await p.conn.chain;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const tokenOf = (link: RecordingLink): string => {
  const joined = link.frames.find((f) => f.type === 'joined');
  assert.ok(joined?.type === 'joined');
  return joined.resume;
};

describe('SessionService', () => {
  test('rule 1: the first joiner creates the context, the second joins it, a third is refused', async () => {
    const { service, peer, registry } = setup();
    const id = randomUUID();
    const [a, b, c] = [peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    const joinedA = a.link.take();
    assert.equal(joinedA.length, 1);
    assert.deepEqual(
      { ...joinedA[0], resume: '' },
      {
        type: 'joined',
        sessionId: id,
        peer: false,
        resume: '',
        iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
      },
    );
    await send(service, b, { type: 'join', sessionId: id });
    assert.deepEqual(b.link.types(), ['joined']);
    assert.deepEqual(a.link.types(), ['peer:joined']);
    await send(service, c, { type: 'join', sessionId: id });
    assert.deepEqual(c.link.types(), ['error:SESSION_FULL']);
    assert.equal(c.link.closeCode, 1008);
    assert.deepEqual([a.link.frames.length, b.link.frames.length], [0, 0], 'the two in the call see nothing');
    assert.equal(registry.stats().sessions, 1);
  });

  test('rule 3: frames queue FIFO for the absent place and reach the newcomer after joined', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, a, { type: 'offer', sessionId: id, sdp: 'o1', from: 'x' });
    for (let i = 0; i < 3; i++)
      await send(service, a, { type: 'candidate', sessionId: id, candidate: { candidate: `c${i}`, sdpMid: '0' } });
    await send(service, b, { type: 'join', sessionId: id });
    const got = b.link.take();
    assert.deepEqual(
      got.map((f) => f.type),
      ['joined', 'offer', 'candidate', 'candidate', 'candidate'],
    );
    assert.deepEqual(got[1], { type: 'offer', sessionId: id, sdp: 'o1' }, 'rebuilt from validated fields only');
    assert.deepEqual(
      got.slice(2).map((f) => (f.type === 'candidate' ? f.candidate.candidate : '')),
      ['c0', 'c1', 'c2'],
    );
  });

  test('rule 3: an overflowing frame is refused with QUEUE_FULL and the earlier ones are kept', async () => {
    const { service, peer } = setup({ queueFrames: 2 });
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    a.link.take();
    for (const sdp of ['1', '2', '3']) await send(service, a, { type: 'offer', sessionId: id, sdp });
    assert.deepEqual(a.link.types(), ['error:QUEUE_FULL']);
    await send(service, b, { type: 'join', sessionId: id });
    assert.deepEqual(
      b.link.take().map((f) => (f.type === 'offer' ? f.sdp : f.type)),
      ['joined', '1', '2'],
    );
  });

  test('rule 4: frames before join get NOT_JOINED; a frame for another id gets SIGNAL_NOT_FOUND and is not relayed', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'offer', sessionId: id, sdp: 'x' });
    assert.deepEqual(a.link.types(), ['error:NOT_JOINED']);
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    a.link.take();
    b.link.take();
    // A body that is also bad: the id is checked first.
    await send(service, a, { type: 'offer', sessionId: randomUUID(), sdp: 42 });
    const [refusal] = a.link.take();
    assert.deepEqual(refusal, errorFrame('SIGNAL_NOT_FOUND', id));
    assert.equal(b.link.frames.length, 0);
  });

  test('rule 5: hangup reaches both, closes both, and frees the id at once with no timers left', async () => {
    const { service, peer, registry, clock } = setup();
    const id = randomUUID();
    const [a, b, c] = [peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    a.link.take();
    b.link.take();
    await send(service, b, { type: 'hangup', sessionId: id, reason: 'bye' });
    assert.deepEqual(a.link.take(), [{ type: 'hangup', sessionId: id, reason: 'bye' }]);
    assert.deepEqual(b.link.take(), [{ type: 'hangup', sessionId: id, reason: 'bye' }]);
    assert.deepEqual([a.link.closeCode, b.link.closeCode], [1000, 1000]);
    assert.equal(registry.stats().sessions, 0);
    assert.equal(service.timerCount, 0);
    assert.equal(clock.pending, 0);
    await send(service, c, { type: 'join', sessionId: id });
    assert.equal((c.link.take()[0] as { peer: boolean }).peer, false, 'a fresh session under the same id');
    await send(service, a, { type: 'offer', sessionId: id, sdp: 'late' });
    assert.deepEqual(a.link.types(), ['error:SESSION_ENDED']);
  });

  test('rule 6: a clean close frees the place and tells the other "left"', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b, c] = [peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    a.link.take();
    await close(service, b, true);
    assert.deepEqual(a.link.types(), ['peer:left']);
    await send(service, c, { type: 'join', sessionId: id });
    assert.equal((c.link.take()[0] as { peer: boolean }).peer, true);
    assert.deepEqual(a.link.types(), ['peer:joined']);
  });

  test('rule 6 and 2: a drop holds the place ("away"); resume re-attaches ("back") and delivers the queue once', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b, b2] = [peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    const token = tokenOf(b.link);
    a.link.take();
    await close(service, b, false);
    assert.deepEqual(a.link.types(), ['peer:away']);
    await send(service, a, { type: 'candidate', sessionId: id, candidate: { candidate: 'during-gap' } });
    await send(service, b2, { type: 'join', sessionId: id, resume: token });
    const got = b2.link.take();
    assert.deepEqual(
      got.map((f) => f.type),
      ['joined', 'candidate'],
    );
    assert.notEqual((got[0] as { resume: string }).resume, token, 'a fresh token');
    assert.deepEqual(a.link.types(), ['peer:back']);
    // The earlier token of that place stops working.
    const b3 = peer();
    await send(service, b3, { type: 'join', sessionId: id, resume: token });
    assert.deepEqual(b3.link.types(), ['error:SIGNAL_NOT_FOUND']);
  });

  test('rule 6: when the grace period ends without a resume the other is told "left"', async () => {
    const { service, peer, clock, registry } = setup({ graceMs: 1000 });
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    a.link.take();
    await close(service, b, false);
    clock.advance(999);
    await settle();
    assert.deepEqual(a.link.types(), ['peer:away']);
    clock.advance(1);
    await settle();
    assert.deepEqual(a.link.types(), ['peer:left']);
    await close(service, a, true);
    assert.equal(registry.stats().sessions, 0, 'nobody attached or held: the context is dropped');
    assert.equal(service.timerCount, 0);
  });

  test('rule 1: a newcomer takes over a held place; the old token is then refused with SESSION_FULL', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b, c, b2] = [peer(), peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    const token = tokenOf(b.link);
    await close(service, b, false);
    a.link.take();
    await send(service, c, { type: 'join', sessionId: id });
    assert.deepEqual(
      c.link.take().map((f) => (f.type === 'joined' ? f.peer : f.type)),
      [true],
    );
    assert.deepEqual(a.link.types(), ['peer:joined']);
    await send(service, b2, { type: 'join', sessionId: id, resume: token });
    assert.deepEqual(b2.link.types(), ['error:SESSION_FULL']);
  });

  test('rule 2: resume after hangup is SESSION_ENDED; a forged token or one of another session is SIGNAL_NOT_FOUND', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const other = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    const token = tokenOf(a.link);
    const wrongSession = peer();
    await send(service, wrongSession, { type: 'join', sessionId: other, resume: token });
    assert.deepEqual(wrongSession.link.types(), ['error:SIGNAL_NOT_FOUND']);
    const forged = peer();
    await send(service, forged, { type: 'join', sessionId: id, resume: `${token.slice(0, -2)}AA` });
    assert.deepEqual(forged.link.types(), ['error:SIGNAL_NOT_FOUND']);
    await send(service, b, { type: 'join', sessionId: id });
    await send(service, a, { type: 'hangup', sessionId: id });
    const late = peer();
    await send(service, late, { type: 'join', sessionId: id, resume: token });
    assert.deepEqual(late.link.types(), ['error:SESSION_ENDED']);
  });

  test('rule 7: a context lost in a restart is restored from the tokens; one ended by hangup is not', async () => {
    const clock = new FakeClock();
    const before = setup({}, clock);
    const id = randomUUID();
    const [a, b] = [before.peer(), before.peer()];
    await send(before.service, a, { type: 'join', sessionId: id });
    await send(before.service, b, { type: 'join', sessionId: id });
    const [tokenA, tokenB] = [tokenOf(a.link), tokenOf(b.link)];
    clock.advance(5000);
    // "Restart": a new service with an empty registry, the same secret.
    const after = setup({}, clock);
    const [a2, b2] = [after.peer(), after.peer()];
    await send(after.service, a2, { type: 'join', sessionId: id, resume: tokenA });
    assert.deepEqual(
      a2.link.take().map((f) => (f.type === 'joined' ? `joined:${f.peer}` : f.type === 'peer' ? f.state : f.type)),
      ['joined:true', 'away'],
    );
    await send(after.service, b2, { type: 'join', sessionId: id, resume: tokenB });
    assert.deepEqual(b2.link.types(), ['joined']);
    assert.deepEqual(a2.link.types(), ['peer:back']);
    await send(after.service, a2, { type: 'offer', sessionId: id, sdp: 'again' });
    assert.deepEqual(b2.link.types(), ['offer']);
    await send(after.service, b2, { type: 'hangup', sessionId: id });
    const again = after.peer();
    await send(after.service, again, { type: 'join', sessionId: id, resume: tokenA });
    assert.deepEqual(again.link.types(), ['error:SESSION_ENDED'], 'ended by hangup: never restored');
  });

  test('rule 7: restoring is possible only within the grace period after the restart', async () => {
    const clock = new FakeClock();
    const before = setup({ graceMs: 1000 }, clock);
    const id = randomUUID();
    const a = before.peer();
    await send(before.service, a, { type: 'join', sessionId: id });
    const token = tokenOf(a.link);
    clock.advance(10);
    const after = setup({ graceMs: 1000 }, clock);
    clock.advance(1001);
    const late = after.peer();
    await send(after.service, late, { type: 'join', sessionId: id, resume: token });
    assert.deepEqual(late.link.types(), ['error:SESSION_ENDED']);
    assert.equal(after.registry.stats().sessions, 0);
  });

  test('rule 7 / X7: the restore window after a restart runs on monotonic time, whatever the wall clock does', async () => {
    const HOUR = 3_600_000;
    // The lifetime check compares wall times of two processes (the token's), so it is long here.
    const limits = { graceMs: 1000, sessionLifetimeMs: 24 * HOUR };
    for (const jump of [HOUR, -HOUR]) {
      const clock = new FakeClock();
      const before = setup(limits, clock);
      const [early, late] = [randomUUID(), randomUUID()];
      const [a, c] = [before.peer(), before.peer()];
      await send(before.service, a, { type: 'join', sessionId: early });
      await send(before.service, c, { type: 'join', sessionId: late });
      const [tokenA, tokenC] = [tokenOf(a.link), tokenOf(c.link)];
      clock.advance(10);
      // "Restart": a new service with an empty registry; then the wall clock jumps.
      const after = setup(limits, clock);
      clock.jumpWall(jump);
      // Inside the window by monotonic time: restored, even though the wall says an hour passed.
      clock.advance(500);
      const a2 = after.peer();
      await send(after.service, a2, { type: 'join', sessionId: early, resume: tokenA });
      assert.equal(a2.link.types()[0], 'joined', `wall jump ${jump} ms: restored inside the window`);
      // Past it by monotonic time: not restored, even though the wall says the restart was just now.
      clock.advance(501);
      const c2 = after.peer();
      await send(after.service, c2, { type: 'join', sessionId: late, resume: tokenC });
      assert.deepEqual(c2.link.types(), ['error:SESSION_ENDED'], `wall jump ${jump} ms: the window has closed`);
    }
  });

  test('a participant alone longer than the alone limit is sent home with hangup "timeout"', async () => {
    const { service, peer, clock, registry } = setup({ aloneMs: 5000 });
    const id = randomUUID();
    const a = peer();
    await send(service, a, { type: 'join', sessionId: id });
    a.link.take();
    clock.advance(5000);
    await settle();
    assert.deepEqual(a.link.take(), [{ type: 'hangup', sessionId: id, reason: 'timeout' }]);
    assert.equal(a.link.closeCode, 1000);
    assert.equal(registry.stats().sessions, 0);
  });

  test('the session lifetime cap ends the call for both with hangup "lifetime"', async () => {
    const { service, peer, clock } = setup({ sessionLifetimeMs: 10_000, aloneMs: 60_000 });
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    a.link.take();
    b.link.take();
    clock.advance(10_000);
    await settle();
    assert.deepEqual(a.link.take(), [{ type: 'hangup', sessionId: id, reason: 'lifetime' }]);
    assert.deepEqual(b.link.take(), [{ type: 'hangup', sessionId: id, reason: 'lifetime' }]);
    assert.equal(clock.pending, 0);
  });

  test('R4: a resume while the old socket is half-open replaces it; its later frames are refused', async () => {
    const { service, peer } = setup();
    const id = randomUUID();
    const [a, b, b2] = [peer(), peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    const token = tokenOf(b.link);
    b.link.take();
    a.link.take();
    await send(service, b2, { type: 'join', sessionId: id, resume: token });
    assert.equal(b.link.closeCode, 1008);
    await send(service, b, { type: 'offer', sessionId: id, sdp: 'ghost' });
    assert.deepEqual(b.link.types(), ['error:SIGNAL_NOT_FOUND']);
    assert.deepEqual(a.link.types(), ['peer:back'], 'nothing from the superseded socket is relayed');
  });

  test('lifecycle events: created, attached, held, freed, ended with the reason, in order', async () => {
    const events: string[] = [];
    const observer: SessionObserver = {
      contextCreated: (c) => events.push(`created:${c.sessionId === id}`),
      contextEnded: (_c, reason) => events.push(`ended:${reason}`),
      placeAttached: (_c, place) => events.push(`attached:${place}`),
      placeHeld: (_c, place) => events.push(`held:${place}`),
      placeFreed: (_c, place) => events.push(`freed:${place}`),
    };
    const failing: SessionObserver = {
      contextCreated: () => {
        throw new Error('observer bug');
      },
    };
    const { service, peer, clock } = setup({ graceMs: 1000 }, new FakeClock(), undefined, [failing, observer]);
    const id = randomUUID();
    const [a, b] = [peer(), peer()];
    await send(service, a, { type: 'join', sessionId: id });
    await send(service, b, { type: 'join', sessionId: id });
    assert.deepEqual(b.link.types(), ['joined'], 'a throwing observer does not affect the session');
    await close(service, b, false);
    clock.advance(1000);
    await settle();
    await close(service, a, true);
    assert.deepEqual(events, [
      'created:true',
      'attached:0',
      'attached:1',
      'held:1',
      'freed:1',
      'freed:0',
      'ended:left',
    ]);

    events.length = 0;
    const [c, d] = [peer(), peer()];
    await send(service, c, { type: 'join', sessionId: id });
    await send(service, d, { type: 'join', sessionId: id });
    await send(service, d, { type: 'hangup', sessionId: id });
    assert.deepEqual(events, ['created:true', 'attached:0', 'attached:1', 'ended:hangup']);
  });
});
