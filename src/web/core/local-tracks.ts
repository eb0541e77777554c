import type { MessageKey } from '../i18n/i18n.js';
import type { MediaErrorCode } from '../media/media-errors.js';
import type { PeerLike } from './controller-types.js';
import type { DeviceChoice, Devices, MediaPort } from './media-port.js';
import type { ToastList } from './toasts.js';

type Kind = 'audio' | 'video';

/** How long a camera or microphone problem stays on screen: it explains what the call lacks. */
const MEDIA_TOAST_MS = 15_000;

export interface LocalTracksOptions {
  media: MediaPort;
  toasts: ToastList;
  mediaErrorText(code: MediaErrorCode): MessageKey;
  /** The current peer connection, which sends what we have. */
  peer(): PeerLike | null;
  isInCall(): boolean;
  changed(): void;
}

/** This side's camera and microphone during a call, as the UI renders them. */
export interface LocalView {
  local: MediaStream | null;
  micOn: boolean;
  camOn: boolean;
  mediaError: MediaErrorCode | null;
  /** The cameras and microphones the settings offer (and whether a camera switch is possible). */
  devices: Devices;
}

/**
 * The local media job of the controller: opens, mutes, swaps and releases our tracks, keeps the
 * device list, and hands every change to the peer connection.
 */
export class LocalTracks {
  readonly #o: LocalTracksOptions;
  #view: LocalView = {
    local: null,
    micOn: true,
    camOn: true,
    mediaError: null,
    devices: { cameras: [], microphones: [] },
  };
  /** Bumped whenever the local stream is replaced, so the UI re-attaches it. */
  #version = 0;
  #settled: Promise<void> = Promise.resolve();
  /** Devices chosen in settings; used when the camera and microphone are next opened. */
  #preferred: DeviceChoice = {};

  constructor(options: LocalTracksOptions) {
    this.#o = options;
  }

  get view(): LocalView {
    return this.#view;
  }

  get version(): number {
    return this.#version;
  }

  /** Media that is still being opened when the call starts is attached as soon as it is ready. */
  get settled(): Promise<void> {
    return this.#settled;
  }

  /** The tracks a new peer connection starts with. */
  get tracks(): { audio: MediaStreamTrack | null; video: MediaStreamTrack | null; stream: MediaStream | null } {
    const local = this.#view.local;
    return { audio: local?.getAudioTracks()[0] ?? null, video: local?.getVideoTracks()[0] ?? null, stream: local };
  }

  /** What the other side is told over the data channel. */
  get muteState(): { mic: boolean; cam: boolean } {
    return { mic: this.#view.micOn, cam: this.#view.camOn };
  }

  /** Opens the camera and microphone for the call that just started. */
  acquire(): void {
    this.#settled = this.#acquire();
  }

  async #acquire(): Promise<void> {
    const { stream, error } = await this.#o.media.acquire(this.#preferred);
    if (!this.#o.isInCall()) {
      for (const t of stream?.getTracks() ?? []) t.stop();
      return;
    }
    this.#setLocal(stream, { mediaError: error });
    if (error) this.#o.toasts.show(this.#o.mediaErrorText(error), 'warn', MEDIA_TOAST_MS);
    await this.#sendTracks();
    this.#o.changed();
    this.#localChanged();
  }

  /** Stops every track (the call is over); the caller reports the change. */
  release(): void {
    for (const t of this.#view.local?.getTracks() ?? []) t.stop();
    this.#setLocal(null);
    this.#localChanged();
  }

  #setLocal(local: MediaStream | null, extra: Partial<LocalView> = {}): void {
    this.#view = { ...this.#view, ...extra, local };
    this.#version++;
  }

  async #sendTracks(): Promise<void> {
    const { audio, video, stream } = this.tracks;
    if (audio) audio.enabled = this.#view.micOn;
    if (video) video.enabled = this.#view.camOn;
    await this.#o.peer()?.setTrack('audio', audio, stream);
    await this.#o.peer()?.setTrack('video', video, stream);
  }

  sendMuteState(): void {
    this.#o.peer()?.sendChannel({ t: 'state', ...this.muteState });
  }

  toggleMic(): void {
    this.#setEnabled('micOn', 'audio');
  }

  toggleCamera(): void {
    this.#setEnabled('camOn', 'video');
  }

  #setEnabled(flag: 'micOn' | 'camOn', kind: Kind): void {
    const track = this.tracks[kind];
    if (!track) {
      const err = this.#view.mediaError;
      if (err) this.#o.toasts.show(this.#o.mediaErrorText(err), 'warn', MEDIA_TOAST_MS);
      return;
    }
    const on = !this.#view[flag];
    track.enabled = on;
    this.#view = { ...this.#view, [flag]: on };
    this.sendMuteState();
    this.#o.changed();
  }

  /** Puts a new track of one kind in place of the old (camera switch, device choice, unplug). */
  async replaceTrack(kind: Kind, track: MediaStreamTrack): Promise<void> {
    const old = this.#view.local;
    const keep = old ? old.getTracks().filter((t) => t.kind !== kind) : [];
    for (const t of old?.getTracks() ?? []) if (t.kind === kind && t !== track) t.stop();
    this.#setLocal(this.#o.media.streamOf([...keep, track]));
    await this.#sendTracks();
    this.#o.changed();
    this.#localChanged();
  }

  /** The device in use for a kind, else the one chosen for the next call, else null. */
  currentDevice(kind: Kind): string | null {
    return this.tracks[kind]?.getSettings().deviceId ?? this.#preferredId(kind);
  }

  #preferredId(kind: Kind): string | null {
    return (kind === 'audio' ? this.#preferred.audioId : this.#preferred.videoId) ?? null;
  }

  /** Uses this device now if a call has media, and for every later call. */
  async chooseDevice(kind: Kind, deviceId: string): Promise<void> {
    if (deviceId === this.currentDevice(kind)) return;
    this.#preferred = { ...this.#preferred, [kind === 'audio' ? 'audioId' : 'videoId']: deviceId };
    this.#o.changed();
    // Outside a call nothing is opened: the choice applies when the next call starts.
    const local = this.#view.local;
    if (!local) return;
    // Phones often cannot open two cameras at once: stop the old one first.
    for (const t of local.getTracks()) if (t.kind === kind) t.stop();
    const track = await this.#o.media.openTrack(kind, deviceId);
    if (track) await this.replaceTrack(kind, track);
    else this.#o.toasts.show('mediaBusy', 'warn');
  }

  /** The next camera in the device list (front and back on a phone). */
  async switchCamera(): Promise<void> {
    const { cameras } = await this.#o.media.listDevices();
    if (cameras.length < 2) return;
    const i = cameras.findIndex((c) => c.deviceId === this.currentDevice('video'));
    const next = cameras[(i + 1) % cameras.length];
    if (next) await this.chooseDevice('video', next.deviceId);
  }

  /** Lists the devices again (the settings opened). */
  async refreshDevices(): Promise<void> {
    const devices = await this.#o.media.listDevices();
    this.#view = { ...this.#view, devices };
    this.#o.changed();
  }

  /** A device was plugged in or out: list again, and replace any track that died with it. */
  async devicesChanged(): Promise<void> {
    await this.refreshDevices();
    for (const track of this.#view.local?.getTracks() ?? []) {
      if (track.readyState === 'ended') {
        const kind = track.kind as Kind;
        const next = await this.#o.media.openTrack(kind);
        if (next) await this.replaceTrack(kind, next);
        this.#o.toasts.show('mediaDeviceChanged');
      }
    }
  }

  /**
   * The device list is read again whenever our stream changes. Not while the camera is still
   * being opened in a call: enumerateDevices would compete with getUserMedia (and lists no
   * device ids before permission anyway); this runs again once it is open.
   */
  #localChanged(): void {
    if (this.#view.local || !this.#o.isInCall()) void this.devicesChanged();
  }
}
