import type { MediaErrorCode } from '../media/media-errors.js';

/** A camera or microphone as the settings list shows it. */
export interface DeviceInfo {
  deviceId: string;
  label: string;
}

export interface Devices {
  cameras: DeviceInfo[];
  microphones: DeviceInfo[];
}

export interface DeviceChoice {
  audioId?: string;
  videoId?: string;
}

export interface LocalMedia {
  stream: MediaStream | null;
  /** What went wrong, if anything: the call goes on with what we have. */
  error: MediaErrorCode | null;
}

/**
 * The browser's camera and microphone as core uses them; media/browser-media.ts builds it from
 * `navigator.mediaDevices` and `MediaStream`, so core itself touches no browser global.
 */
export interface MediaPort {
  /** Camera and microphone, degrading to what is available; never throws. */
  acquire(choice: DeviceChoice): Promise<LocalMedia>;
  /** Opens one device of a kind (camera switch, device choice); null when it cannot. */
  openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack | null>;
  /** The devices with ids (none before permission); empty lists when listing fails. */
  listDevices(): Promise<Devices>;
  /** A new stream holding these tracks. */
  streamOf(tracks: MediaStreamTrack[]): MediaStream;
}
