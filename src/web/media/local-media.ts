import type { DeviceChoice, Devices, LocalMedia } from '../core/media-port.js';
import { MediaErrorCode, classifyMediaError } from './media-errors.js';

/**
 * Phone-friendly: the front camera, at most 720p and 30 frames/s. Only upper bounds and a
 * non-exact facing mode: "ideal" resolutions and frame rates make the browser search and rescale
 * camera formats, which cost hundreds of ms before the first frame (real cameras and Chromium's
 * fake one alike); the sender adapts resolution to the link by itself anyway.
 */
export function videoConstraints(deviceId?: string): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user' }),
    width: { max: 1280 },
    height: { max: 720 },
    frameRate: { max: 30 },
  };
}

export function audioConstraints(deviceId?: string): MediaTrackConstraints {
  return {
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  };
}

async function tryGet(c: MediaStreamConstraints): Promise<{ stream: MediaStream } | { error: MediaErrorCode }> {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(c) };
  } catch (e) {
    return { error: classifyMediaError(e) };
  }
}

/**
 * Gets the camera and microphone, degrading step by step: both → microphone only (no camera,
 * or the camera is refused or busy) → nothing (receive-only). Never throws.
 */
export async function acquireMedia(choice: DeviceChoice = {}): Promise<LocalMedia> {
  if (!navigator.mediaDevices?.getUserMedia) return { stream: null, error: MediaErrorCode.UNSUPPORTED };
  const both = await tryGet({ audio: audioConstraints(choice.audioId), video: videoConstraints(choice.videoId) });
  if ('stream' in both) return { stream: both.stream, error: null };
  const audioOnly = await tryGet({ audio: audioConstraints(choice.audioId) });
  if ('stream' in audioOnly) {
    return {
      stream: audioOnly.stream,
      error: both.error === MediaErrorCode.NO_DEVICES ? MediaErrorCode.NO_CAMERA : both.error,
    };
  }
  return {
    stream: null,
    error:
      both.error === MediaErrorCode.DENIED || audioOnly.error === MediaErrorCode.DENIED
        ? MediaErrorCode.DENIED
        : audioOnly.error,
  };
}

/** Opens one device of a kind (camera switch, device choice); the caller stops the old track first. */
export async function openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack | null> {
  const r = await tryGet(
    kind === 'audio' ? { audio: audioConstraints(deviceId) } : { video: videoConstraints(deviceId) },
  );
  return 'stream' in r ? (r.stream.getTracks()[0] ?? null) : null;
}

export async function listDevices(): Promise<Devices> {
  try {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      microphones: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
    };
  } catch {
    return { cameras: [], microphones: [] };
  }
}
