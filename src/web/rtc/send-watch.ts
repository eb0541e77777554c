/**
 * After an outage, is our video sender stuck? Chromium 150 can come out of an ICE restart with
 * a video sender whose encoder never starts again: the camera is live, the path is up and has
 * room, audio flows, but not one frame is encoded, so the other side sees a frozen picture
 * until someone reloads (reliability.md X2 showed it every time). Re-attaching the track,
 * toggling the encoding or another ICE restart did not wake it; a fresh RTCPeerConnection
 * does. This module only decides; PeerSession looks every few seconds after the link is back and
 * starts over when it says so.
 */

/** One look at the statistics of the video we send. */
export interface VideoSendSample {
  /** Frames our encoder produced so far (outbound-rtp, summed over encodings). */
  framesEncoded: number;
  /** What the selected path could carry, bits/s (candidate-pair availableOutgoingBitrate). */
  availableBitrate: number | null;
  /** Our camera track is live, enabled and not muted: the encoder has something to encode. */
  cameraOn: boolean;
}

/** Below this the browser itself may pause video for lack of bandwidth: not a stall. */
export const MIN_VIDEO_BITRATE = 150_000;
/** From the link coming back to the first look: time for a restarted encoder to begin. */
export const SETTLE_MS = 3_000;
/** Between two looks. At 15-30 frames/s a working encoder makes dozens of frames here. */
export const WINDOW_MS = 4_000;
/**
 * How many looks after the link is back. The encoder is replaced when the renegotiation that
 * follows the ICE restart lands, which on a slow machine or path is many seconds later: one
 * window right after the link came back saw the old, working encoder and missed the stall.
 */
export const LOOKS = 9;

/**
 * The sender is stuck if, across the window, the camera stayed on, the path had room for video
 * and not one frame was encoded. A camera the user turned off, a path too thin for video or a
 * page that sends no video is never a stall. A count that went down means the browser replaced
 * the encoder within the window (its statistics start again at 0): not known yet, so not a
 * stall; the next window tells.
 */
export function videoSendStalled(first: VideoSendSample, second: VideoSendSample): boolean {
  if (!first.cameraOn || !second.cameraOn) return false;
  const room = Math.min(first.availableBitrate ?? 0, second.availableBitrate ?? 0);
  if (room < MIN_VIDEO_BITRATE) return false;
  return second.framesEncoded === first.framesEncoded;
}

/** Reads the sample from a stats report and the sender's track (the browser's part). */
export function sampleOf(report: Iterable<Record<string, unknown>>, track: MediaStreamTrack | null): VideoSendSample {
  let framesEncoded = 0;
  let availableBitrate: number | null = null;
  let selectedPair: string | null = null;
  const pairs = new Map<string, number>();
  for (const s of report) {
    if (s.type === 'outbound-rtp' && s.kind === 'video') framesEncoded += Number(s.framesEncoded ?? 0);
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
      selectedPair = s.selectedCandidatePairId;
    if (s.type === 'candidate-pair' && typeof s.availableOutgoingBitrate === 'number' && typeof s.id === 'string')
      pairs.set(s.id, s.availableOutgoingBitrate);
  }
  if (selectedPair !== null) availableBitrate = pairs.get(selectedPair) ?? null;
  const cameraOn = track !== null && track.readyState === 'live' && track.enabled && !track.muted;
  return { framesEncoded, availableBitrate, cameraOn };
}
