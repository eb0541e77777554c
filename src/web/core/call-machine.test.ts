import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type CallEvent, type CallState, type Effect, type InCall, initialState, transition } from './call-machine.js';
import { screenState } from './screen-state.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';

function run(events: CallEvent[], from: CallState = initialState): { state: CallState; effects: Effect[] } {
  let state = from;
  const effects: Effect[] = [];
  for (const e of events) {
    const t = transition(state, e);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}
const types = (effects: Effect[]) => effects.map((e) => e.type);
const call = (s: CallState): InCall => {
  assert.equal(s.kind, 'call');
  return s as InCall;
};

test('home → start: URL set, media prepared, signalling opened; data-state waiting', () => {
  const { state, effects } = run([{ type: 'start', sessionId: ID }]);
  assert.equal(screenState(initialState), 'ready');
  assert.equal(screenState(state), 'waiting');
  assert.deepEqual(types(effects), ['set-url', 'open-signal', 'acquire-media', 'wake-lock']);
  assert.deepEqual(effects.at(-1), { type: 'wake-lock', on: true }, 'the screen stays awake while waiting');
});

test('a malformed link shows not-found (data-state error)', () => {
  const { state } = run([{ type: 'bad-link' }]);
  assert.equal(state.kind, 'not-found');
  assert.equal(screenState(state), 'error');
});

test('waiting alone, first: the connection to offer on is prepared; again after the other person leaves', () => {
  const joined = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
  ]);
  assert.deepEqual(
    types(transition(initialState, { type: 'start', sessionId: ID }).effects).includes('prepare-peer'),
    false,
  );
  assert.equal(types(joined.effects).filter((t) => t === 'prepare-peer').length, 1);
  assert.ok(types(joined.effects).indexOf('close-peer') < types(joined.effects).indexOf('prepare-peer'));
  const second = run([{ type: 'joined', peer: true, resumed: false }], joined.state);
  assert.equal(types(second.effects).includes('prepare-peer'), false, 'the second joiner answers, it prepares nothing');
  const arrived = run([{ type: 'peer', state: 'joined' }], joined.state);
  const left = run([{ type: 'peer', state: 'left' }], arrived.state);
  assert.deepEqual(types(left.effects).slice(0, 2), ['close-peer', 'prepare-peer']);
});

test('roles from order: the first joiner offers when the peer joins', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'peer', state: 'joined' },
  ]);
  assert.equal(call(state).first, true);
  assert.deepEqual(
    effects.find((e) => e.type === 'start-peer'),
    { type: 'start-peer', initiator: true, polite: false },
  );
});

test('roles from order: the second joiner waits for the offer and is the polite one', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: true, resumed: false },
  ]);
  assert.equal(call(state).first, false);
  assert.deepEqual(
    effects.find((e) => e.type === 'start-peer'),
    { type: 'start-peer', initiator: false, polite: true },
  );
});

test('media connected → active; interruption keeps the call active with a toast', () => {
  let { state } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: true, resumed: false },
    { type: 'media', link: 'connected' },
  ]);
  assert.equal(screenState(state), 'active');
  const t = transition(state, { type: 'media', link: 'interrupted' });
  state = t.state;
  assert.equal(screenState(state), 'active');
  assert.ok(t.effects.some((e) => e.type === 'toast' && e.key === 'mediaReconnecting'));
});

test('the one who stays becomes first again and offers anew on a fresh connection', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: true, resumed: false },
    { type: 'media', link: 'connected' },
    { type: 'peer', state: 'left' },
  ]);
  assert.equal(screenState(state), 'waiting');
  assert.equal(call(state).first, true);
  const next = transition(state, { type: 'peer', state: 'joined' });
  assert.deepEqual(types(next.effects).slice(0, 2), ['close-peer', 'start-peer']);
  assert.ok(types(effects).includes('close-peer'));
});

test('seed rule 4: resuming with a live connection replays the last description and candidates', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'peer', state: 'joined' },
    { type: 'media', link: 'connected' },
    { type: 'signal-status', status: 'offline' },
    { type: 'joined', peer: true, resumed: true },
  ]);
  assert.equal(screenState(state), 'active', 'the call never left active while signalling was down');
  const tail = types(effects).slice(-2);
  assert.deepEqual(tail, ['toast', 'replay-local']);
});

test('resuming after a silent loss (network changed) also restarts ICE; an ordinary resume does not', () => {
  const call = [
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'peer', state: 'joined' },
    { type: 'media', link: 'connected' },
    { type: 'signal-status', status: 'offline' },
  ] as const;
  const silent = run([...call, { type: 'joined', peer: true, resumed: true, afterLoss: true }]);
  assert.deepEqual(types(silent.effects).slice(-2), ['replay-local', 'restart-ice']);
  const closed = run([...call, { type: 'joined', peer: true, resumed: true, afterLoss: false }]);
  assert.ok(!types(closed.effects).includes('restart-ice'));
});

test('the other side comes back to its place: our last description is re-sent (it may have been lost)', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'peer', state: 'joined' },
    { type: 'media', link: 'connected' },
    { type: 'peer', state: 'away' },
    { type: 'peer', state: 'back' },
  ]);
  assert.equal(screenState(state), 'active');
  assert.deepEqual(types(effects).slice(-2), ['replay-local', 'toast']);
});

test('a reloaded page that resumed its place waits for an offer, and offers itself if none comes', () => {
  const { effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: true, resumed: true },
  ]);
  assert.deepEqual(
    effects.find((e) => e.type === 'start-peer'),
    { type: 'start-peer', initiator: false, polite: true },
  );
  assert.ok(types(effects).includes('offer-unless-offered'));
});

test('hangup (local): hangup sent, everything released, token forgotten', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'hangup' },
  ]);
  assert.deepEqual(state, { kind: 'ended', sessionId: ID, reason: 'local' });
  for (const t of ['send-hangup', 'close-peer', 'close-signal', 'release-media', 'forget-resume']) {
    assert.ok(types(effects).includes(t as Effect['type']), t);
  }
});

test('remote hangup reasons: timeout and lifetime from the server, otherwise the other person', () => {
  const start: CallEvent[] = [
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
  ];
  for (const [reason, expected] of [
    ['timeout', 'timeout'],
    ['lifetime', 'lifetime'],
    [undefined, 'remote'],
    ['x', 'remote'],
  ]) {
    const { state } = run([...start, { type: 'remote-hangup', reason }]);
    assert.equal(state.kind === 'ended' && state.reason, expected);
  }
});

test('a repeated hangup (data channel and signalling both deliver it) is a no-op once ended', () => {
  const { state } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'remote-hangup' },
  ]);
  const again = transition(state, { type: 'remote-hangup' });
  assert.equal(again.state, state);
  assert.deepEqual(again.effects, []);
});

test('SESSION_FULL at join is a refusal screen, and signalling is closed (no retry loop)', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'signal-error', code: 'SESSION_FULL', duringJoin: true, resumed: false },
  ]);
  assert.equal(state.kind, 'refused');
  assert.equal(screenState(state), 'error');
  assert.ok(types(effects).includes('close-signal'));
});

test('a stale token from an earlier call on this link: join anew instead of refusing', () => {
  const { state, effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'signal-error', code: 'SESSION_ENDED', duringJoin: true, resumed: true },
  ]);
  assert.equal(state.kind, 'call');
  assert.deepEqual(types(effects).slice(-2), ['forget-resume', 'rejoin-fresh']);
});

test('SESSION_ENDED on resume in a running call: the call is over', () => {
  const { state } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'signal-error', code: 'SESSION_ENDED', duringJoin: true, resumed: true },
  ]);
  assert.deepEqual(state, { kind: 'ended', sessionId: ID, reason: 'session-ended' });
});

test('an unknown resume token (server secret changed): take a place anew', () => {
  const { effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'signal-error', code: 'SIGNAL_NOT_FOUND', duringJoin: true, resumed: true },
  ]);
  assert.deepEqual(types(effects).slice(-2), ['forget-resume', 'rejoin-fresh']);
});

test('signalling loss is one toast, not one per retry', () => {
  const { effects } = run([
    { type: 'start', sessionId: ID },
    { type: 'joined', peer: false, resumed: false },
    { type: 'signal-status', status: 'offline' },
    { type: 'signal-status', status: 'connecting' },
    { type: 'signal-status', status: 'offline' },
  ]);
  assert.equal(effects.filter((e) => e.type === 'toast' && e.key === 'signalLost').length, 1);
});

test('ended → start on the same link begins a fresh call', () => {
  const { state } = run([{ type: 'start', sessionId: ID }, { type: 'hangup' }, { type: 'start', sessionId: ID }]);
  assert.equal(call(state).fresh, true);
  assert.equal(screenState(state), 'waiting');
});

const eventArb: fc.Arbitrary<CallEvent> = fc.oneof(
  fc.constant<CallEvent>({ type: 'start', sessionId: ID }),
  fc.constant<CallEvent>({ type: 'bad-link' }),
  fc.constantFrom<CallEvent>(
    { type: 'signal-status', status: 'connecting' },
    { type: 'signal-status', status: 'offline' },
  ),
  fc.record({ type: fc.constant('joined' as const), peer: fc.boolean(), resumed: fc.boolean() }),
  fc.record({ type: fc.constant('peer' as const), state: fc.constantFrom('joined', 'away', 'back', 'left' as const) }),
  fc.constant<CallEvent>({ type: 'remote-offer-without-peer' }),
  fc.constantFrom<CallEvent>({ type: 'media', link: 'connected' }, { type: 'media', link: 'interrupted' }),
  fc.constantFrom<CallEvent>({ type: 'remote-hangup' }, { type: 'remote-hangup', reason: 'timeout' }),
  fc.constant<CallEvent>({ type: 'hangup' }),
  fc.record({
    type: fc.constant('signal-error' as const),
    code: fc.constantFrom('SESSION_FULL', 'SESSION_ENDED', 'SIGNAL_NOT_FOUND', 'RATE_LIMITED', 'QUEUE_FULL' as const),
    duringJoin: fc.boolean(),
    resumed: fc.boolean(),
  }),
  fc.constant<CallEvent>({ type: 'go-home' }),
);

test('property: any event sequence keeps the invariants', () => {
  fc.assert(
    fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
      let state: CallState = initialState;
      let peerOpen = false;
      let signalOpen = false;
      for (const e of events) {
        const t = transition(state, e);
        for (const eff of t.effects) {
          if (eff.type === 'start-peer') peerOpen = true;
          if (eff.type === 'close-peer') peerOpen = false;
          if (eff.type === 'open-signal') signalOpen = true;
          if (eff.type === 'close-signal') signalOpen = false;
        }
        state = t.state;
        // Outside a call nothing keeps running: no peer connection, no signalling socket.
        if (state.kind !== 'call') {
          assert.equal(peerOpen, false);
          assert.equal(signalOpen, false);
        } else {
          assert.equal(signalOpen, true);
          // The machine's idea of "has a connection" matches the effects it asked for.
          assert.equal(state.hasPeer, peerOpen);
        }
      }
    }),
    { numRuns: 500 },
  );
});
