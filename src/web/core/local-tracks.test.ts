import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import type { ChannelMessage } from '../rtc/peer-session.js';
import { FakeMedia, FakeStream, FakeTrack, fakeStream } from '../testing/fake-media.js';
import type { PeerLike } from './controller-types.js';
import { LocalTracks } from './local-tracks.js';
import { ToastList } from './toasts.js';

/** Runs under node's test runner: nothing here (or in LocalTracks) needs a DOM. */

class RecordingPeer implements Pick<PeerLike, 'setTrack' | 'sendChannel'> {
  sent: { kind: string; track: MediaStreamTrack | null }[] = [];
  channel: ChannelMessage[] = [];
  async setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    this.sent.push({ kind, track });
  }
  sendChannel(m: ChannelMessage): boolean {
    this.channel.push(m);
    return true;
  }
}

let media: FakeMedia;
let toasts: ToastList;
let peer: RecordingPeer | null;
let inCall: boolean;
let changes: number;
let tracks: LocalTracks;

beforeEach(() => {
  media = new FakeMedia();
  toasts = new ToastList({ onChange: () => {}, clock: new FakeClock() });
  peer = new RecordingPeer();
  inCall = true;
  changes = 0;
  tracks = new LocalTracks({
    media,
    toasts,
    mediaErrorText: (code) => (code === 'denied' ? 'mediaDenied' : 'mediaBusy'),
    peer: () => peer as unknown as PeerLike,
    isInCall: () => inCall,
    changed: () => changes++,
  });
});

/** Lets the promise chains started by a command run to the end. */
const settle = () => new Promise((r) => setImmediate(r));

const cameras = (...ids: string[]) => ids.map((deviceId, i) => ({ deviceId, label: `Camera ${i + 1}` }));

test('acquire: the opened tracks go to the peer connection with the devices chosen before', async () => {
  await tracks.chooseDevice('video', 'back');
  media.acquired = { stream: fakeStream(), error: null };
  tracks.acquire();
  await tracks.settled;
  assert.deepEqual(media.choices, [{ videoId: 'back' }]);
  assert.deepEqual(
    peer?.sent.map((s) => s.kind),
    ['audio', 'video'],
  );
  assert.ok(tracks.view.local);
});

test('acquire after the call ended stops what was opened and keeps nothing', async () => {
  const stream = fakeStream();
  media.acquired = { stream, error: null };
  tracks.acquire();
  inCall = false;
  await tracks.settled;
  assert.equal(tracks.view.local, null);
  assert.ok(stream.getTracks().every((t) => t.readyState === 'ended'));
});

test('replaceTrack assembles the new stream through the media port and stops the old track', async () => {
  media.acquired = { stream: fakeStream(), error: null };
  tracks.acquire();
  await tracks.settled;
  const oldVideo = tracks.view.local!.getVideoTracks()[0]!;
  const before = tracks.version;
  const next = new FakeTrack('video', 'video-2').track;
  await tracks.replaceTrack('video', next);
  assert.ok(tracks.view.local instanceof FakeStream, 'built by MediaPort.streamOf, not new MediaStream');
  assert.deepEqual(
    tracks.view.local!.getTracks().map((t) => t.kind),
    ['audio', 'video'],
  );
  assert.equal(tracks.view.local!.getVideoTracks()[0], next);
  assert.equal(oldVideo.readyState, 'ended');
  assert.ok(tracks.version > before, 'the UI is told to re-attach');
  assert.equal(peer?.sent.at(-1)?.track, next);
});

test('chooseDevice outside a call only remembers the choice', async () => {
  await tracks.chooseDevice('audio', 'headset');
  assert.deepEqual(media.opened, []);
  assert.equal(tracks.currentDevice('audio'), 'headset');
});

test('chooseDevice in a call stops the old camera first, then opens the chosen one', async () => {
  media.acquired = { stream: fakeStream('mic', 'front'), error: null };
  tracks.acquire();
  await tracks.settled;
  await settle();
  const front = tracks.view.local!.getVideoTracks()[0]!;
  let frontWhenOpening: string | null = null;
  const open = media.openTrack.bind(media);
  media.openTrack = (kind, id) => {
    frontWhenOpening = front.readyState;
    return open(kind, id);
  };
  await tracks.chooseDevice('video', 'back');
  assert.equal(frontWhenOpening, 'ended', 'a phone may not open a second camera while the first is on');
  assert.deepEqual(media.opened, ['back']);
  assert.equal(tracks.currentDevice('video'), 'back');
});

test('chooseDevice of the device in use does nothing', async () => {
  media.acquired = { stream: fakeStream('mic', 'front'), error: null };
  tracks.acquire();
  await tracks.settled;
  await tracks.chooseDevice('video', 'front');
  assert.deepEqual(media.opened, []);
});

test('a chosen device that cannot be opened shows "busy"', async () => {
  media.acquired = { stream: fakeStream('mic', 'front'), error: null };
  tracks.acquire();
  await tracks.settled;
  media.canOpen = false;
  await tracks.chooseDevice('video', 'back');
  assert.ok(toasts.items.some((t) => t.key === 'mediaBusy'));
});

test('switchCamera moves to the next camera in the list, wrapping around', async () => {
  media.devices = { cameras: cameras('front', 'back'), microphones: [] };
  media.acquired = { stream: fakeStream('mic', 'back'), error: null };
  tracks.acquire();
  await tracks.settled;
  await tracks.switchCamera();
  assert.deepEqual(media.opened, ['front']);
});

test('switchCamera with one camera does nothing', async () => {
  media.devices = { cameras: cameras('front'), microphones: [] };
  media.acquired = { stream: fakeStream('mic', 'front'), error: null };
  tracks.acquire();
  await tracks.settled;
  await tracks.switchCamera();
  assert.deepEqual(media.opened, []);
});

test('a device unplugged: its dead track is replaced from the default device and a toast says so', async () => {
  media.acquired = { stream: fakeStream(), error: null };
  tracks.acquire();
  await tracks.settled;
  await settle();
  tracks.view.local!.getAudioTracks()[0]!.stop();
  await tracks.devicesChanged();
  assert.deepEqual(media.opened, [undefined]);
  assert.equal(tracks.view.local!.getAudioTracks()[0]!.readyState, 'live');
  assert.ok(toasts.items.some((t) => t.key === 'mediaDeviceChanged'));
});

test('the device list is read once the camera is open, not while it is being opened', async () => {
  media.devices = { cameras: cameras('front', 'back'), microphones: [] };
  assert.equal(tracks.view.devices.cameras.length, 0);
  media.acquired = { stream: fakeStream(), error: null };
  tracks.acquire();
  await tracks.settled;
  await settle();
  assert.equal(tracks.view.devices.cameras.length, 2);
});

test('mute with no microphone explains why instead of toggling', async () => {
  media.acquired = { stream: null, error: 'denied' };
  tracks.acquire();
  await tracks.settled;
  toasts.dismiss(toasts.items[0]!.id);
  tracks.toggleMic();
  assert.equal(tracks.view.micOn, true, 'nothing to mute');
  assert.deepEqual(peer?.channel, []);
  assert.deepEqual(
    toasts.items.map((t) => t.key),
    ['mediaDenied'],
  );
});

test('mute: the track is disabled and the other side learns the state', async () => {
  media.acquired = { stream: fakeStream(), error: null };
  tracks.acquire();
  await tracks.settled;
  tracks.toggleCamera();
  assert.equal(tracks.view.camOn, false);
  assert.equal(tracks.view.local!.getVideoTracks()[0]!.enabled, false);
  assert.deepEqual(peer?.channel.at(-1), { t: 'state', mic: true, cam: false });
});

test('release stops every track', async () => {
  const stream = fakeStream();
  media.acquired = { stream, error: null };
  tracks.acquire();
  await tracks.settled;
  tracks.release();
  assert.equal(tracks.view.local, null);
  assert.ok(stream.getTracks().every((t) => t.readyState === 'ended'));
});
