import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InCall } from './call-machine.js';
import { routeSignalEvent, signalFrame } from './signal-router.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';
const call = (hasPeer: boolean): InCall => ({
  kind: 'call',
  sessionId: ID,
  fresh: false,
  first: true,
  signal: 'online',
  peer: 'present',
  media: 'none',
  hasPeer,
});

test('joined: the ICE servers are taken before the call hears of it', () => {
  const iceServers = [{ urls: ['turn:turn.example.test:3478'], username: 'u', credential: 'c' }];
  assert.deepEqual(
    routeSignalEvent(
      {
        type: 'joined',
        frame: { type: 'joined', sessionId: ID, peer: true, resume: 'r', iceServers },
        resumed: true,
        afterLoss: true,
      },
      call(false),
    ),
    [
      { kind: 'ice-servers', iceServers },
      { kind: 'dispatch', event: { type: 'joined', peer: true, resumed: true, afterLoss: true } },
    ],
  );
});

test('an offer with no peer connection first makes one, then is applied to it', () => {
  const offer = { type: 'frame', frame: { type: 'offer', sessionId: ID, sdp: 'v=0' } } as const;
  assert.deepEqual(routeSignalEvent(offer, call(false)), [
    { kind: 'dispatch', event: { type: 'remote-offer-without-peer' } },
    { kind: 'description', description: { type: 'offer', sdp: 'v=0' } },
  ]);
  assert.deepEqual(routeSignalEvent(offer, call(true)), [
    { kind: 'description', description: { type: 'offer', sdp: 'v=0' } },
  ]);
});

test('an answer, a candidate, peer presence, a hangup and an error become their steps; pong is nothing', () => {
  const state = call(true);
  assert.deepEqual(routeSignalEvent({ type: 'frame', frame: { type: 'answer', sessionId: ID, sdp: 'a' } }, state), [
    { kind: 'description', description: { type: 'answer', sdp: 'a' } },
  ]);
  const candidate = { candidate: 'candidate:1', sdpMid: '0' };
  assert.deepEqual(routeSignalEvent({ type: 'frame', frame: { type: 'candidate', sessionId: ID, candidate } }, state), [
    { kind: 'candidate', candidate },
  ]);
  assert.deepEqual(routeSignalEvent({ type: 'frame', frame: { type: 'peer', sessionId: ID, state: 'left' } }, state), [
    { kind: 'dispatch', event: { type: 'peer', state: 'left' } },
  ]);
  assert.deepEqual(
    routeSignalEvent({ type: 'frame', frame: { type: 'hangup', sessionId: ID, reason: 'timeout' } }, state),
    [{ kind: 'dispatch', event: { type: 'remote-hangup', reason: 'timeout' } }],
  );
  assert.deepEqual(
    routeSignalEvent(
      {
        type: 'error',
        frame: { type: 'error', sessionId: ID, code: 'SESSION_FULL', message: 'x' },
        duringJoin: true,
        resumed: false,
      },
      state,
    ),
    [{ kind: 'dispatch', event: { type: 'signal-error', code: 'SESSION_FULL', duringJoin: true, resumed: false } }],
  );
  assert.deepEqual(routeSignalEvent({ type: 'frame', frame: { type: 'pong', sessionId: ID } }, state), []);
  assert.deepEqual(routeSignalEvent({ type: 'status', status: 'offline' }, state), [
    { kind: 'dispatch', event: { type: 'signal-status', status: 'offline' } },
  ]);
});

test('outgoing descriptions and candidates become protocol frames for the session', () => {
  assert.deepEqual(signalFrame(ID, { kind: 'description', description: { type: 'offer', sdp: 'o' } }), {
    type: 'offer',
    sessionId: ID,
    sdp: 'o',
  });
  assert.deepEqual(signalFrame(ID, { kind: 'description', description: { type: 'answer', sdp: 'a' } }), {
    type: 'answer',
    sessionId: ID,
    sdp: 'a',
  });
  assert.deepEqual(signalFrame(ID, { kind: 'candidate', candidate: { candidate: 'c' } }), {
    type: 'candidate',
    sessionId: ID,
    candidate: { candidate: 'c' },
  });
});
