import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { CONNECT_WATCHDOG_MS, DISCONNECTED_RESTART_MS, IceRestartPolicy } from './ice-restart-policy.js';

let clock: FakeClock;
let state: RTCPeerConnectionState;
let restarts: number;
let links: string[];
let policy: IceRestartPolicy;

beforeEach(() => {
  clock = new FakeClock();
  state = 'new';
  restarts = 0;
  links = [];
  policy = new IceRestartPolicy({
    clock,
    offerer: false,
    restart: () => restarts++,
    connectionState: () => state,
    onLink: (l) => links.push(l),
  });
});

/** The connection moves to `s`, as RTCPeerConnection reports it. */
function become(s: RTCPeerConnectionState): void {
  state = s;
  policy.connectionStateChanged(s);
}

test('answerer, disconnected: the link shows interrupted at once and ICE restarts after DISCONNECTED_RESTART_MS', () => {
  become('connected');
  become('disconnected');
  assert.deepEqual(links, ['connected', 'interrupted']);
  clock.advance(DISCONNECTED_RESTART_MS - 1);
  assert.equal(restarts, 0, 'a short blip gets its chance to recover by itself');
  clock.advance(1);
  assert.equal(restarts, 1);
});

test('disconnected then recovered within the grace period: no restart', () => {
  become('disconnected');
  clock.advance(DISCONNECTED_RESTART_MS / 2);
  become('connected');
  clock.advance(DISCONNECTED_RESTART_MS * 4);
  assert.equal(restarts, 0);
  assert.deepEqual(links, ['interrupted', 'connected']);
});

test('disconnected, then failed: one restart at once, none more when the grace period would end', () => {
  become('disconnected');
  state = 'failed';
  policy.connectionStateChanged('failed');
  assert.equal(restarts, 1, 'failed restarts at once');
  clock.advance(DISCONNECTED_RESTART_MS);
  assert.equal(restarts, 1, 'the grace timer sees the state is no longer disconnected');
});

test('failed: the link shows interrupted and ICE restarts at once', () => {
  become('failed');
  assert.equal(restarts, 1);
  assert.deepEqual(links, ['interrupted']);
  assert.equal(clock.pending, 0);
});

test('a second disconnect re-arms the grace period from its own start', () => {
  become('disconnected');
  clock.advance(DISCONNECTED_RESTART_MS - 100);
  become('disconnected');
  clock.advance(200);
  assert.equal(restarts, 0);
  clock.advance(DISCONNECTED_RESTART_MS);
  assert.equal(restarts, 1);
});

test('watchdog: negotiation settled but ICE never connected restarts after CONNECT_WATCHDOG_MS', () => {
  let connecting = true;
  policy.negotiationSettled(false, () => connecting);
  clock.advance(CONNECT_WATCHDOG_MS - 1);
  assert.equal(restarts, 0);
  clock.advance(1);
  assert.equal(restarts, 1);
  // And only while it is still needed.
  policy.negotiationSettled(false, () => connecting);
  connecting = false;
  clock.advance(CONNECT_WATCHDOG_MS);
  assert.equal(restarts, 1);
});

test('watchdog: not armed when already connected, armed once at a time, cleared by connected', () => {
  policy.negotiationSettled(true, () => true);
  assert.equal(clock.pending, 0);
  policy.negotiationSettled(false, () => true);
  clock.advance(CONNECT_WATCHDOG_MS / 2);
  policy.negotiationSettled(false, () => true);
  assert.equal(clock.pending, 1, 'a second stable state does not start another watchdog');
  clock.advance(CONNECT_WATCHDOG_MS / 2);
  assert.equal(restarts, 1, 'the first watchdog still fires on its own schedule');
  policy.negotiationSettled(false, () => true);
  become('connected');
  clock.advance(CONNECT_WATCHDOG_MS);
  assert.equal(restarts, 1);
});

test('stop (the connection closed) cancels every pending restart', () => {
  become('disconnected');
  policy.negotiationSettled(false, () => true);
  policy.stop();
  assert.equal(clock.pending, 0);
  clock.advance(CONNECT_WATCHDOG_MS * 2);
  assert.equal(restarts, 0);
});

/** A policy for the side that made the first offer. */
function offererPolicy(): IceRestartPolicy {
  policy = new IceRestartPolicy({
    clock,
    offerer: true,
    restart: () => restarts++,
    connectionState: () => state,
    onLink: (l) => links.push(l),
  });
  return policy;
}

test('offerer, disconnected: ICE restarts at once (a changed network must not wait out a grace period)', () => {
  offererPolicy();
  become('connected');
  become('disconnected');
  assert.deepEqual(links, ['connected', 'interrupted']);
  assert.equal(restarts, 1, 'no waiting on the offerer');
  clock.advance(DISCONNECTED_RESTART_MS * 4);
  assert.equal(restarts, 1, 'and no second restart when the answerer grace would have ended');
});

test('offerer: every new disconnect restarts once', () => {
  offererPolicy();
  become('connected');
  become('disconnected');
  become('connected');
  become('disconnected');
  assert.equal(restarts, 2);
  assert.deepEqual(links, ['connected', 'interrupted', 'connected', 'interrupted']);
});

test('offerer and answerer together: one restart at once, the other only if still disconnected later', () => {
  let answererState: RTCPeerConnectionState = 'disconnected';
  let answererRestarts = 0;
  const other = new IceRestartPolicy({
    clock,
    offerer: false,
    restart: () => answererRestarts++,
    connectionState: () => answererState,
    onLink: () => {},
  });
  offererPolicy();
  become('disconnected');
  other.connectionStateChanged('disconnected');
  assert.equal(restarts, 1);
  assert.equal(answererRestarts, 0);
  // The offerer's restart renews the path before the answerer's grace ends.
  answererState = 'connected';
  other.connectionStateChanged('connected');
  clock.advance(DISCONNECTED_RESTART_MS);
  assert.equal(answererRestarts, 0, 'the restarts did not cross');
});
