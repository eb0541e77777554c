import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { hangupFrame, offerFrame } from '../../shared/protocol/index.js';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { jitteredBackoff } from '../core/reconnect-policy.js';
import {
  CLOSE_LIVENESS,
  PING_INTERVAL_MS,
  PONG_TIMEOUT_MS,
  SignalClient,
  type SignalEvent,
  type SocketLike,
  type TokenStore,
} from './signal-client.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';
const OTHER = '11111111-2222-4333-8444-555555555555';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closedWith: number | null = null;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // Test side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: object | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

class MemoryTokens implements TokenStore {
  token: string | null = null;
  load = () => this.token;
  save = (t: string) => {
    this.token = t;
  };
  clear = () => {
    this.token = null;
  };
}

let clock: FakeClock;
let sockets: FakeSocket[];
let tokens: MemoryTokens;
let events: SignalEvent[];
let client: SignalClient;

const last = () => sockets[sockets.length - 1] as FakeSocket;
const joined = (resume = 'tok-1', peer = false) => ({ type: 'joined', sessionId: ID, peer, resume, iceServers: [] });

beforeEach(() => {
  clock = new FakeClock();
  sockets = [];
  tokens = new MemoryTokens();
  events = [];
  client = new SignalClient({
    url: 'wss://example.test/signal',
    sessionId: ID,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    clock,
    policy: jitteredBackoff(() => 0.5, 1000, 8000),
    tokens,
  });
  client.onEvent((e) => events.push(e));
});

function connectAndJoin(resume = 'tok-1'): FakeSocket {
  client.start();
  const s = last();
  s.open();
  s.receive(joined(resume));
  return s;
}

test('join is the first frame; joined stores the resume token', () => {
  client.start();
  last().open();
  assert.deepEqual(last().sent, [{ type: 'join', sessionId: ID }]);
  last().receive(joined('tok-A'));
  assert.equal(tokens.token, 'tok-A');
  assert.deepEqual(events.at(-1), { type: 'joined', frame: joined('tok-A'), resumed: false, afterLoss: false });
  // Joined: frames go out now.
  assert.equal(client.send(offerFrame(ID, 'v=0')), true);
  assert.deepEqual(last().sent.at(-1), offerFrame(ID, 'v=0'));
});

test('nothing is sent before joined (the caller replays after the join)', () => {
  client.start();
  last().open();
  assert.equal(client.send(offerFrame(ID, 'v=0')), false);
  last().receive(joined());
  assert.equal(client.send(offerFrame(ID, 'v=0')), true);
  assert.deepEqual(last().sent.at(-1), { type: 'offer', sessionId: ID, sdp: 'v=0' });
});

test('an abnormal drop reconnects with backoff and resumes with the last token', () => {
  connectAndJoin('tok-1');
  last().drop(1006);
  assert.deepEqual(events.at(-1), { type: 'status', status: 'offline' });
  assert.equal(sockets.length, 1);
  clock.advance(749);
  assert.equal(sockets.length, 1, 'waits the backoff (500 + 0.5 * 500 ms)');
  clock.advance(1);
  assert.equal(sockets.length, 2);
  last().open();
  assert.deepEqual(last().sent[0], { type: 'join', sessionId: ID, resume: 'tok-1' });
  last().receive(joined('tok-2', true));
  assert.equal(tokens.token, 'tok-2', 'every joined carries a fresh token');
  assert.equal((events.at(-1) as { resumed: boolean }).resumed, true);
});

test('backoff grows while the server is away and resets after a successful join', () => {
  connectAndJoin();
  const gaps: number[] = [];
  for (let i = 0; i < 4; i++) {
    last().drop(1012);
    const before = clock.now();
    const n = sockets.length;
    while (sockets.length === n) clock.advance(10);
    gaps.push(clock.now() - before);
  }
  assert.deepEqual(gaps, [750, 1500, 3000, 6000]);
  last().open();
  last().receive(joined());
  last().drop(1012);
  const before = clock.now();
  const n = sockets.length;
  while (sockets.length === n) clock.advance(10);
  assert.equal(clock.now() - before, 750);
});

test('liveness: a ping every interval; no answer opens a probe, which takes over once it opens', () => {
  const s = connectAndJoin();
  clock.advance(PING_INTERVAL_MS);
  assert.deepEqual(s.sent.at(-1), { type: 'ping', sessionId: ID });
  s.receive({ type: 'pong', sessionId: ID });
  clock.advance(PING_INTERVAL_MS);
  assert.equal(s.closedWith, null, 'a pong keeps it alive');
  clock.advance(PONG_TIMEOUT_MS);
  assert.equal(sockets.length, 2, 'no pong within the timeout: a probe socket');
  assert.equal(s.closedWith, null, 'the old socket is kept while the probe is out');
  last().open();
  assert.equal(s.closedWith, CLOSE_LIVENESS, 'the probe opened first: the old one is given up, not cleanly closed');
  assert.deepEqual(last().sent, [{ type: 'join', sessionId: ID, resume: 'tok-1' }], 'and the probe resumes at once');
  assert.deepEqual(
    events.filter((e) => e.type === 'status'),
    [
      { type: 'status', status: 'connecting' },
      { type: 'status', status: 'offline' },
      { type: 'status', status: 'connecting' },
    ],
  );
});

test('a silent socket (a network change mid-call) is probed within 4 s of its last answer', () => {
  connectAndJoin();
  clock.advance(3_999);
  assert.equal(sockets.length, 1);
  clock.advance(1);
  assert.equal(sockets.length, 2);
});

test('a busy server (the old socket answers before the probe opens): the probe is closed unused, nothing resumes', () => {
  const s = connectAndJoin();
  const statusesBefore = events.length;
  // The server's event loop is stuck for 7 s: pings go unanswered, then all answers come at once.
  clock.advance(PING_INTERVAL_MS + PONG_TIMEOUT_MS);
  const probe = last();
  assert.notEqual(probe, s);
  clock.advance(3_000);
  s.receive({ type: 'pong', sessionId: ID });
  assert.equal(probe.closedWith, 1000, 'the probe is closed before it joins');
  assert.deepEqual(probe.sent, []);
  probe.open();
  assert.deepEqual(probe.sent, [], 'a late open of the unused probe does nothing');
  assert.equal(s.closedWith, null);
  // Still joined on the old socket: a frame goes out there, not on the probe.
  assert.equal(client.send(offerFrame(ID, 'v=0')), true);
  assert.deepEqual(s.sent.at(-1), offerFrame(ID, 'v=0'));
  assert.deepEqual(probe.sent, []);
  assert.equal(events.length, statusesBefore, 'no status change, no joined: the call never saw it');
  // The next deadline is longer (4 s): a server still slow to answer does not draw a probe at 2 s.
  // (The next ping goes out at 8 s, on the 2 s beat.)
  clock.advance(1_000 + PONG_TIMEOUT_MS * 2 - 1);
  assert.equal(sockets.length, 2);
  clock.advance(1);
  assert.equal(sockets.length, 3);
});

test('a server busy again and again: at most one probe per stall, never a resume, and no loop', () => {
  const s = connectAndJoin();
  const stallMs = 6_000;
  for (let stall = 0; stall < 5; stall++) {
    clock.advance(stallMs);
    s.receive({ type: 'pong', sessionId: ID });
    // Answered promptly for a while after each stall.
    for (let i = 0; i < 3; i++) {
      clock.advance(PING_INTERVAL_MS);
      s.receive({ type: 'pong', sessionId: ID });
    }
  }
  assert.ok(sockets.length - 1 <= 5, `probes: ${sockets.length - 1}`);
  assert.ok(sockets.length > 1, 'the stalls were long enough to draw a probe');
  assert.equal(s.closedWith, null);
  assert.equal(sockets.flatMap((x) => x.sent).filter((f) => (f as { type: string }).type === 'join').length, 1);
  assert.equal(events.filter((e) => e.type === 'joined').length, 1);
});

test('the probe fails (the network is gone): the old socket is given up and the client backs off', () => {
  const s = connectAndJoin();
  clock.advance(PING_INTERVAL_MS + PONG_TIMEOUT_MS);
  last().drop(1006);
  assert.equal(s.closedWith, CLOSE_LIVENESS);
  assert.deepEqual(events.at(-1), { type: 'status', status: 'offline' });
  assert.equal(sockets.length, 2, 'the next attempt waits for the backoff');
  clock.advance(1_000);
  assert.equal(sockets.length, 3);
});

test('the probe never opens: given up after the join timeout', () => {
  const s = connectAndJoin();
  clock.advance(PING_INTERVAL_MS + PONG_TIMEOUT_MS);
  const probe = last();
  clock.advance(10_000);
  assert.equal(probe.closedWith, 1000);
  assert.equal(s.closedWith, CLOSE_LIVENESS);
});

test('the old socket drops (1006) while the probe is out: the probe joins in its place without backoff', () => {
  const s = connectAndJoin();
  clock.advance(PING_INTERVAL_MS + PONG_TIMEOUT_MS);
  const probe = last();
  s.drop(1006);
  assert.equal(sockets.length, 2);
  probe.open();
  assert.deepEqual(probe.sent, [{ type: 'join', sessionId: ID, resume: 'tok-1' }]);
  probe.receive(joined());
  assert.deepEqual(events.at(-1), { type: 'joined', frame: joined(), resumed: true, afterLoss: true });
});

test('the next joined says whether the socket before it was lost (silent, or dropped without a close frame)', () => {
  connectAndJoin();
  // Silent: given up by the liveness check.
  clock.advance(PING_INTERVAL_MS + PONG_TIMEOUT_MS);
  clock.advance(1_000);
  last().open();
  last().receive(joined());
  // Dropped without a close frame (what a browser reports as 1006).
  last().drop(1006);
  clock.advance(1_000);
  last().open();
  last().receive(joined());
  // Closed by the server (a restart: 1012): not a lost network.
  last().drop(1012);
  clock.advance(1_000);
  last().open();
  last().receive(joined());
  const seen = events.flatMap((e) => (e.type === 'joined' ? [[e.resumed, e.afterLoss]] : []));
  assert.deepEqual(
    seen,
    [
      [false, false],
      [true, true],
      [true, true],
      [true, false],
    ],
    'each loss is reported once, with the joined after it',
  );
});

test('events from an orphaned socket are ignored after a reconnect', () => {
  const old = connectAndJoin();
  const oldOnMessage = old.onmessage;
  old.drop();
  clock.advance(1000);
  last().open();
  last().receive(joined());
  const n = events.length;
  oldOnMessage?.({ data: JSON.stringify(hangupFrame(ID)) });
  assert.equal(events.length, n);
});

test('frames for another session id and garbage are ignored', () => {
  const s = connectAndJoin();
  const n = events.length;
  s.receive({ type: 'hangup', sessionId: OTHER });
  s.receive('not json');
  s.receive({ type: 'joined', sessionId: ID });
  assert.equal(events.length, n);
  s.receive({ type: 'peer', sessionId: ID, state: 'joined' });
  assert.deepEqual(events.at(-1), { type: 'frame', frame: { type: 'peer', sessionId: ID, state: 'joined' } });
});

test('an error before joined is reported as a join error, with whether a token was used', () => {
  tokens.token = 'stale';
  client.start();
  last().open();
  last().receive({ type: 'error', sessionId: ID, code: 'SESSION_ENDED', message: 'Сеанс завершён' });
  const e = events.at(-1);
  assert.equal(e?.type, 'error');
  assert.equal((e as { duringJoin: boolean }).duringJoin, true);
  assert.equal((e as { resumed: boolean }).resumed, true);
});

test('rejoinFresh drops the token and joins without it at once', () => {
  tokens.token = 'stale';
  client.start();
  last().open();
  client.rejoinFresh();
  assert.equal(sockets.length, 2);
  assert.equal(sockets[0]?.closedWith, 1000);
  last().open();
  assert.deepEqual(last().sent[0], { type: 'join', sessionId: ID });
});

test('close() is clean (1000) and stops every retry', () => {
  const s = connectAndJoin();
  client.close();
  assert.equal(s.closedWith, 1000);
  clock.advance(60_000);
  assert.equal(sockets.length, 1);
});

test('no join answer within the join timeout: retry', () => {
  client.start();
  last().open();
  clock.advance(10_000);
  assert.equal(sockets[0]?.closedWith, CLOSE_LIVENESS);
  clock.advance(750);
  assert.equal(sockets.length, 2);
});

test('nudge (network back) skips the rest of the backoff', () => {
  connectAndJoin();
  last().drop();
  last().drop();
  assert.equal(sockets.length, 1);
  client.nudge();
  assert.equal(sockets.length, 2);
});
