import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_VIDEO_BITRATE, sampleOf, type VideoSendSample, videoSendStalled } from './send-watch.js';

const on = (framesEncoded: number, availableBitrate: number | null = 2_000_000): VideoSendSample => ({
  framesEncoded,
  availableBitrate,
  cameraOn: true,
});

test('X2: a live camera, a path with room, no frame encoded across the window: stalled', () => {
  assert.equal(videoSendStalled(on(0), on(0)), true);
  assert.equal(videoSendStalled(on(177), on(177)), true);
});

test('an encoder replaced within the window (its count starts again at 0) is not judged yet', () => {
  assert.equal(videoSendStalled(on(177), on(0)), false);
  assert.equal(videoSendStalled(on(177), on(40)), false);
  // The next window does judge it.
  assert.equal(videoSendStalled(on(0), on(0)), true);
});

test('an encoder that makes frames, however few, is not stalled', () => {
  assert.equal(videoSendStalled(on(0), on(1)), false);
  assert.equal(videoSendStalled(on(100), on(180)), false);
});

test('a camera the user turned off (or none) is never a stall', () => {
  assert.equal(videoSendStalled({ ...on(5), cameraOn: false }, on(5)), false);
  assert.equal(videoSendStalled(on(5), { ...on(5), cameraOn: false }), false);
});

test('a path too thin for video (the browser pauses it itself) is never a stall', () => {
  assert.equal(videoSendStalled(on(5, MIN_VIDEO_BITRATE - 1), on(5)), false);
  assert.equal(videoSendStalled(on(5), on(5, null)), false);
  assert.equal(videoSendStalled(on(5, MIN_VIDEO_BITRATE), on(5, MIN_VIDEO_BITRATE)), true);
});

test('the sample: frames of every video encoding, the selected pair only, the track as it is', () => {
  const report = [
    { type: 'outbound-rtp', kind: 'video', framesEncoded: 10 },
    { type: 'outbound-rtp', kind: 'video', framesEncoded: 5 },
    { type: 'outbound-rtp', kind: 'audio', packetsSent: 900 },
    { type: 'transport', id: 'T01', selectedCandidatePairId: 'CP2' },
    { type: 'candidate-pair', id: 'CP1', availableOutgoingBitrate: 9_000_000 },
    { type: 'candidate-pair', id: 'CP2', availableOutgoingBitrate: 1_200_000 },
  ];
  const track = { readyState: 'live', enabled: true, muted: false } as MediaStreamTrack;
  assert.deepEqual(sampleOf(report, track), { framesEncoded: 15, availableBitrate: 1_200_000, cameraOn: true });
  assert.equal(sampleOf(report, { ...track, enabled: false } as MediaStreamTrack).cameraOn, false);
  assert.equal(sampleOf(report, { ...track, muted: true } as MediaStreamTrack).cameraOn, false);
  assert.equal(sampleOf(report, { ...track, readyState: 'ended' } as MediaStreamTrack).cameraOn, false);
  assert.equal(sampleOf(report, null).cameraOn, false);
  assert.equal(sampleOf(report.slice(0, 3), track).availableBitrate, null, 'no selected pair: no room known');
});
