/** Why we could not get (all of) the camera and microphone; each has its own user text. */
export const MediaErrorCode = {
  DENIED: 'denied',
  NO_CAMERA: 'no-camera',
  NO_DEVICES: 'no-devices',
  BUSY: 'busy',
  UNSUPPORTED: 'unsupported',
} as const;
export type MediaErrorCode = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

/** Maps a getUserMedia rejection (a DOMException by name) to our codes. */
export function classifyMediaError(error: unknown): MediaErrorCode {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return MediaErrorCode.DENIED;
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return MediaErrorCode.NO_DEVICES;
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return MediaErrorCode.BUSY;
    case 'TypeError':
      return MediaErrorCode.UNSUPPORTED;
    default:
      return MediaErrorCode.BUSY;
  }
}

export const MEDIA_ERROR_TEXT = {
  denied: 'mediaDenied',
  'no-camera': 'mediaNoCamera',
  'no-devices': 'mediaNoDevices',
  busy: 'mediaBusy',
  unsupported: 'mediaUnsupported',
} as const satisfies Record<MediaErrorCode, string>;
