import type { Devices, LocalMedia, MediaPort } from '../core/media-port.js';

/** The parts of a MediaStreamTrack that core uses, for tests under node (no DOM). */
export class FakeTrack {
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  constructor(
    readonly kind: 'audio' | 'video',
    readonly deviceId = `${kind}-1`,
  ) {}
  stop(): void {
    this.readyState = 'ended';
  }
  getSettings(): { deviceId: string } {
    return { deviceId: this.deviceId };
  }
  get track(): MediaStreamTrack {
    return this as unknown as MediaStreamTrack;
  }
}

/** The parts of a MediaStream that core uses. */
export class FakeStream {
  constructor(readonly tracks: MediaStreamTrack[]) {}
  getTracks(): MediaStreamTrack[] {
    return [...this.tracks];
  }
  getAudioTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): MediaStreamTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  get stream(): MediaStream {
    return this as unknown as MediaStream;
  }
}

/** A camera and microphone that open at once and list what the test puts in `devices`. */
export class FakeMedia implements MediaPort {
  acquired: LocalMedia = { stream: null, error: null };
  devices: Devices = { cameras: [], microphones: [] };
  /** Device ids opened by openTrack, in order (undefined: the default device). */
  opened: (string | undefined)[] = [];
  /** openTrack answers null (device busy) while this is false. */
  canOpen = true;
  choices: { audioId?: string; videoId?: string }[] = [];

  async acquire(choice: { audioId?: string; videoId?: string }): Promise<LocalMedia> {
    this.choices.push(choice);
    return this.acquired;
  }
  async openTrack(kind: 'audio' | 'video', deviceId?: string): Promise<MediaStreamTrack | null> {
    this.opened.push(deviceId);
    return this.canOpen ? new FakeTrack(kind, deviceId ?? `${kind}-default`).track : null;
  }
  async listDevices(): Promise<Devices> {
    return this.devices;
  }
  streamOf(tracks: MediaStreamTrack[]): MediaStream {
    return new FakeStream(tracks).stream;
  }
}

/** A stream of one microphone and one camera. */
export function fakeStream(audioId = 'audio-1', videoId = 'video-1'): MediaStream {
  return new FakeStream([new FakeTrack('audio', audioId).track, new FakeTrack('video', videoId).track]).stream;
}
