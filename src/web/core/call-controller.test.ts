import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { ClientFrame } from '../../shared/protocol/index.js';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { SignalEvent, TokenStore } from '../signaling/signal-client.js';
import { FakeMedia, fakeStream } from '../testing/fake-media.js';
import { CallController, type PeerLike, type PeerOptions, type SignalLike } from './call-controller.js';

const ID = '7d3f1c52-8a7e-4b41-9f0e-2a6c1d9b3e55';

class FakeSignal implements SignalLike {
  sent: ClientFrame[] = [];
  started = false;
  closed = false;
  listener: ((e: SignalEvent) => void) | null = null;
  onEvent(cb: (e: SignalEvent) => void) {
    this.listener = cb;
    return () => {
      this.listener = null;
    };
  }
  start() {
    this.started = true;
  }
  send(f: ClientFrame) {
    this.sent.push(f);
    return true;
  }
  close() {
    this.closed = true;
  }
  rejoinFresh() {}
  nudges = 0;
  nudge() {
    this.nudges++;
  }
  emit(e: SignalEvent) {
    this.listener?.(e);
  }
  /** The server says the other participant joined, left, went away or came back. */
  peer(state: 'joined' | 'left' | 'away' | 'back') {
    this.emit({ type: 'frame', frame: { type: 'peer', sessionId: ID, state } });
  }
  joined(peer: boolean, resumed = false, afterLoss = false) {
    const frame = { type: 'joined' as const, sessionId: ID, peer, resume: 't', iceServers: [] };
    this.emit({ type: 'joined', frame, resumed, afterLoss });
  }
}

class FakePeer implements PeerLike {
  calls: string[] = [];
  channel: unknown[] = [];
  closed = false;
  constructor(readonly options: PeerOptions) {}
  handleDescription(d: { type: string }) {
    this.calls.push(`description:${d.type}`);
  }
  handleCandidate() {
    this.calls.push('candidate');
  }
  replay() {
    this.calls.push('replay');
  }
  offerIfIdle() {
    this.calls.push('offer-if-idle');
  }
  start() {
    this.calls.push('start');
  }
  restartIce() {
    this.calls.push('restart');
  }
  /** Kinds given a live track, in order. */
  tracksSet: string[] = [];
  async setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null) {
    if (track) this.tracksSet.push(kind);
  }
  sendChannel(m: unknown) {
    this.channel.push(m);
    return true;
  }
  close() {
    this.closed = true;
  }
}

let clock: FakeClock;
let signal: FakeSignal;
let peers: FakePeer[];
let token: string | null;
let media: FakeMedia;
let controller: CallController;
let urls: (string | null)[];

beforeEach(() => {
  clock = new FakeClock();
  signal = new FakeSignal();
  peers = [];
  token = 'stored';
  media = new FakeMedia();
  urls = [];
  const tokens: TokenStore = { load: () => token, save: (t) => (token = t), clear: () => (token = null) };
  controller = new CallController({
    createSignal: () => signal,
    createPeer: (o) => {
      const p = new FakePeer(o);
      peers.push(p);
      return p;
    },
    tokensFor: () => tokens,
    media,
    mediaErrorText: (code) => (code === 'denied' ? 'mediaDenied' : 'mediaBusy'),
    setUrl: (id) => urls.push(id),
    wakeLock: () => {},
    log: () => {},
    clock,
  });
});

const state = () => controller.view.state;

test('start opens signalling for the link and sets the URL', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  assert.ok(signal.started);
  assert.deepEqual(urls, [ID]);
});

test('first joiner offers when the peer joins, on the connection made while it waited; its descriptions go out as protocol frames', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  assert.equal(peers.length, 1, 'a standby is made while waiting alone');
  const peer = peers[0]!;
  assert.equal(peer.options.initiator, true);
  assert.equal(peer.options.polite, false);
  assert.equal(peer.options.standby, true);
  peer.options.send({ kind: 'description', description: { type: 'offer', sdp: 'early' } });
  assert.deepEqual(signal.sent.slice(1), [], 'nothing of a standby reaches the socket before it is taken');
  assert.deepEqual(peer.calls, []);
  signal.peer('joined');
  assert.equal(peers.length, 1, 'the standby is taken, no second connection');
  assert.deepEqual(peer.calls, ['start']);
  assert.equal(peer.closed, false);
  signal.sent.length = 0;
  peer.options.send({ kind: 'description', description: { type: 'offer', sdp: 'v=0' } });
  peer.options.send({ kind: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } });
  assert.deepEqual(signal.sent, [
    { type: 'offer', sessionId: ID, sdp: 'v=0' },
    { type: 'candidate', sessionId: ID, candidate: { candidate: 'c', sdpMid: '0' } },
  ]);
});

test('when the other person leaves, a new standby is made for the next one', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  signal.peer('joined');
  signal.peer('left');
  assert.equal(peers[0]!.closed, true);
  assert.equal(peers.length, 2);
  assert.equal(peers[1]!.options.standby, true);
  signal.peer('joined');
  assert.equal(peers.length, 2);
  assert.deepEqual(peers[1]!.calls, ['start']);
});

test('a standby made with older ICE servers is not used: the offer comes from a fresh connection', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  // The socket was replaced while waiting: the new `joined` carries new TURN credentials.
  signal.joined(false, true);
  signal.peer('joined');
  assert.equal(peers[0]!.closed, true);
  assert.deepEqual(peers[0]!.calls, []);
  assert.equal(peers.length, 2);
  assert.equal(peers[1]!.options.standby, undefined);
  assert.equal(peers[1]!.options.initiator, true);
});

test('the standby is closed when the call ends while waiting alone', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  controller.dispatch({ type: 'hangup' });
  assert.equal(peers[0]!.closed, true);
  assert.equal(state().kind, 'ended');
});

test('the standby gets our tracks when the camera opens after the join', async () => {
  media.acquired = { stream: fakeStream(), error: null };
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  assert.deepEqual(peers[0]!.tracksSet, [], 'the camera is still opening');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(peers[0]!.tracksSet, ['audio', 'video']);
});

test('an offer that arrives with no connection creates an answering one and is applied; the standby goes', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(false);
  signal.emit({ type: 'frame', frame: { type: 'offer', sessionId: ID, sdp: 'v=0' } });
  assert.equal(peers.length, 2);
  assert.equal(peers[0]!.closed, true, 'the standby is closed');
  assert.equal(peers[1]!.options.initiator, false);
  assert.deepEqual(peers[1]!.calls, ['description:offer']);
});

test('hangup goes over the data channel and signalling; the connection closes a moment later', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  const peer = peers[0]!;
  controller.dispatch({ type: 'hangup' });
  assert.deepEqual(peer.channel, [{ t: 'hangup' }]);
  assert.deepEqual(signal.sent.at(-1), { type: 'hangup', sessionId: ID });
  assert.ok(signal.closed);
  assert.equal(token, null, 'the resume token is forgotten');
  assert.equal(peer.closed, false, 'not yet: the channel message must get out first');
  clock.advance(1_000);
  assert.equal(peer.closed, true);
  assert.equal(state().kind, 'ended');
});

test('a hangup from the data channel ends the call even with signalling down', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  signal.emit({ type: 'status', status: 'offline' });
  peers[0]!.options.onChannelMessage({ t: 'hangup' });
  assert.deepEqual(state(), { kind: 'ended', sessionId: ID, reason: 'remote' });
});

test('mute state from the other side is shown', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  peers[0]!.options.onChannelMessage({ t: 'state', mic: false, cam: true });
  assert.equal(controller.view.remoteMic, false);
});

test('resume with a live connection replays it (seed rule 4)', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  signal.emit({ type: 'status', status: 'offline' });
  signal.joined(true, true);
  clock.advance(1_000);
  assert.deepEqual(peers[0]!.calls, ['replay']);
});

test('resume after the old socket went silent (network changed): ICE restarts at once, then the replay', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  signal.emit({ type: 'status', status: 'offline' });
  signal.joined(true, true, true);
  assert.deepEqual(peers[0]!.calls, ['restart'], 'the restart does not wait for the replay');
  clock.advance(1_000);
  assert.deepEqual(peers[0]!.calls, ['restart', 'replay']);
});

test('the media link breaks: signalling is checked at once (a ping now, not at the next interval)', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  const before = signal.nudges;
  peers[0]!.options.onLink('connected');
  assert.equal(signal.nudges, before);
  peers[0]!.options.onLink('interrupted');
  assert.equal(signal.nudges, before + 1);
});

test('a reloaded page that resumed its place answers, and offers itself only after a wait', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true, true);
  assert.equal(peers[0]!.options.initiator, false);
  clock.advance(1_000);
  assert.deepEqual(peers[0]!.calls, []);
  clock.advance(1_000);
  assert.deepEqual(peers[0]!.calls, ['offer-if-idle']);
});

test('no stale replay when a newcomer took the other place meanwhile', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.joined(true);
  signal.joined(true, true);
  signal.peer('joined');
  clock.advance(1_000);
  assert.deepEqual(peers[0]!.calls, []);
  assert.ok(peers[0]!.closed);
  assert.equal(peers[1]!.options.initiator, true);
});

test('camera and microphone denied: a toast explains, and the call goes on without local media', {
  timeout: 10_000,
}, async () => {
  media.acquired = { stream: null, error: 'denied' };
  controller.dispatch({ type: 'start', sessionId: ID });
  // The refusal arrives asynchronously: wait for the view to change, as the UI does.
  await new Promise<void>((resolve) => {
    if (controller.view.mediaError !== null) return resolve();
    const off = controller.subscribe(() => {
      if (controller.view.mediaError === null) return;
      off();
      resolve();
    });
  });
  assert.equal(controller.view.mediaError, 'denied');
  assert.ok(controller.toasts.items.some((t) => t.key === 'mediaDenied'));
  assert.equal(state().kind, 'call');
});

test('a session-full refusal closes signalling and shows the refusal', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  signal.emit({
    type: 'error',
    frame: { type: 'error', sessionId: ID, code: 'SESSION_FULL', message: 'x' },
    duringJoin: true,
    resumed: false,
  });
  assert.equal(state().kind, 'refused');
  assert.ok(signal.closed);
});

test('version: a UI that rendered before it subscribed can tell it missed a change (a refusal while it mounts)', () => {
  controller.dispatch({ type: 'start', sessionId: ID });
  // The UI renders the waiting screen and remembers the snapshot it drew...
  const rendered = controller.version;
  // ...the refusal arrives before its subscription exists: nobody is told...
  signal.emit({
    type: 'error',
    frame: { type: 'error', sessionId: ID, code: 'SESSION_FULL', message: 'x' },
    duringJoin: true,
    resumed: false,
  });
  // ...so on subscribing it compares, and draws again.
  assert.notEqual(controller.version, rendered);
  assert.equal(state().kind, 'refused');
  let told = 0;
  const off = controller.subscribe(() => told++);
  const before = controller.version;
  controller.dispatch({ type: 'go-home' });
  assert.equal(told, 1);
  assert.equal(controller.version, before + 1, 'one change told, one version step');
  off();
});
