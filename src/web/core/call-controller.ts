import { type IceServer, answerFrame, candidateFrame, hangupFrame, offerFrame } from '../../shared/protocol/index.js';
import type { OutgoingSignal } from '../rtc/peer-session.js';
import type { SignalEvent, TokenStore } from '../signaling/signal-client.js';
import { type CallEvent, type CallState, type Effect, initialState, transition } from './call-machine.js';
import type { CallView, ControllerDeps, PeerLike, SignalLike } from './controller-types.js';
import { ToastList } from './toasts.js';

export type { CallView, ControllerDeps, LocalMedia, PeerLike, SignalLike } from './controller-types.js';

/** Closing the connection right after a data-channel hangup could lose the message. */
const CLOSE_AFTER_HANGUP_MS = 400;
/**
 * The server may follow our `joined` with `peer joined` (somebody new took the other place while
 * we were away). Replaying our old description to that newcomer would only confuse it, so the
 * replay waits a moment and is dropped if the connection was replaced meanwhile.
 */
const REPLAY_DELAY_MS = 150;
/**
 * The longest an answer waits for the camera and microphone that are still being opened (a
 * permission prompt, a slow camera): after that it answers with what it has, and the tracks
 * follow in a renegotiation.
 */
export const ANSWER_MEDIA_WAIT_MS = 3_000;
/** How long a reloaded page waits for the other side's offer before it offers itself. */
export const OFFER_WAIT_MS = 1_500;

/** Runs the machine's effects against the adapters and keeps a view snapshot for the UI. */
export class CallController {
  #state: CallState = initialState;
  #signal: SignalLike | null = null;
  #signalOff: (() => void) | null = null;
  #tokens: TokenStore | null = null;
  #peer: PeerLike | null = null;
  #iceServers: IceServer[] = [];
  #mediaSettled: Promise<void> = Promise.resolve();
  #hangupSent = false;
  /** Devices chosen in settings; used when the camera and microphone are next opened. */
  #preferred: { audioId?: string; videoId?: string } = {};
  #listeners = new Set<() => void>();
  #view: Omit<CallView, 'state'> = {
    local: null,
    remote: null,
    streamsVersion: 0,
    micOn: true,
    camOn: true,
    remoteMic: true,
    remoteCam: true,
    mediaError: null,
  };
  readonly toasts: ToastList;

  constructor(private readonly deps: ControllerDeps) {
    this.toasts = new ToastList(() => this.#changed(), deps.clock);
  }

  get view(): CallView {
    return { state: this.#state, ...this.#view };
  }

  get peer(): PeerLike | null {
    return this.#peer;
  }

  subscribe(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  #changed(): void {
    for (const cb of [...this.#listeners]) cb();
  }

  dispatch(event: CallEvent): void {
    const { state, effects } = transition(this.#state, event);
    this.#state = state;
    for (const e of effects) {
      try {
        this.#run(e);
      } catch (err) {
        this.deps.log(`effect ${e.type} failed`, err);
      }
    }
    this.#changed();
  }

  #run(e: Effect): void {
    switch (e.type) {
      case 'open-signal':
        this.#openSignal(e.sessionId);
        return;
      case 'rejoin-fresh':
        this.#signal?.rejoinFresh();
        return;
      case 'close-signal':
        this.#signalOff?.();
        this.#signal?.close();
        this.#signal = this.#signalOff = null;
        return;
      case 'acquire-media':
        this.#hangupSent = false;
        this.#mediaSettled = this.#acquire();
        return;
      case 'release-media':
        for (const t of this.#view.local?.getTracks() ?? []) t.stop();
        this.#view = { ...this.#view, local: null, remote: null, streamsVersion: this.#view.streamsVersion + 1 };
        return;
      case 'start-peer':
        this.#startPeer(e.initiator, e.polite);
        return;
      case 'close-peer': {
        const peer = this.#peer;
        this.#peer = null;
        this.#view = { ...this.#view, remote: null, remoteCam: true, remoteMic: true };
        if (peer && this.#hangupSent) this.deps.clock.setTimeout(() => peer.close(), CLOSE_AFTER_HANGUP_MS);
        else peer?.close();
        return;
      }
      case 'replay-local': {
        const peer = this.#peer;
        this.deps.clock.setTimeout(() => peer === this.#peer && peer?.replay(), REPLAY_DELAY_MS);
        return;
      }
      case 'send-hangup':
        this.#hangupSent = true;
        this.#peer?.sendChannel({ t: 'hangup' });
        if (this.#state.kind === 'ended' || this.#state.kind === 'call')
          this.#signal?.send(hangupFrame(this.#state.sessionId));
        return;
      case 'offer-unless-offered': {
        const peer = this.#peer;
        this.deps.clock.setTimeout(() => peer === this.#peer && peer?.offerIfIdle(), OFFER_WAIT_MS);
        return;
      }
      case 'forget-resume':
        this.#tokens?.clear();
        return;
      case 'set-url':
        this.deps.setUrl(e.sessionId);
        return;
      case 'wake-lock':
        this.deps.wakeLock(e.on);
        return;
      case 'toast':
        this.toasts.show(e.key, e.tone);
        return;
      default: {
        const never: never = e;
        throw new Error(`unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  #openSignal(sessionId: string): void {
    this.#tokens = this.deps.tokensFor(sessionId);
    const client = this.deps.createSignal(sessionId, this.#tokens);
    this.#signal = client;
    this.#signalOff = client.onEvent((ev) => this.#onSignal(ev));
    client.start();
  }

  #onSignal(ev: SignalEvent): void {
    switch (ev.type) {
      case 'status':
        this.dispatch({ type: 'signal-status', status: ev.status });
        return;
      case 'joined':
        this.#iceServers = ev.frame.iceServers;
        this.dispatch({ type: 'joined', peer: ev.frame.peer, resumed: ev.resumed });
        return;
      case 'error':
        this.dispatch({ type: 'signal-error', code: ev.frame.code, duringJoin: ev.duringJoin, resumed: ev.resumed });
        return;
      case 'frame': {
        const f = ev.frame;
        switch (f.type) {
          case 'offer':
          case 'answer':
            if (f.type === 'offer' && this.#state.kind === 'call' && !this.#state.hasPeer) {
              this.dispatch({ type: 'remote-offer-without-peer' });
            }
            this.#peer?.handleDescription({ type: f.type, sdp: f.sdp });
            return;
          case 'candidate':
            this.#peer?.handleCandidate(f.candidate);
            return;
          case 'peer':
            this.dispatch({ type: 'peer', state: f.state });
            return;
          case 'hangup':
            this.dispatch({ type: 'remote-hangup', reason: f.reason });
            return;
          case 'pong':
            return;
          default: {
            const never: never = f;
            this.deps.log(`unexpected frame ${JSON.stringify(never)}`);
          }
        }
      }
    }
  }

  #sendSignal(s: OutgoingSignal): void {
    if (this.#state.kind !== 'call') return;
    const id = this.#state.sessionId;
    if (s.kind === 'candidate') this.#signal?.send(candidateFrame(id, s.candidate));
    else
      this.#signal?.send(
        s.description.type === 'offer' ? offerFrame(id, s.description.sdp) : answerFrame(id, s.description.sdp),
      );
  }

  #startPeer(initiator: boolean, polite: boolean): void {
    const local = this.#view.local;
    const peer = this.deps.createPeer({
      iceServers: this.#iceServers,
      initiator,
      polite,
      tracks: { audio: local?.getAudioTracks()[0] ?? null, video: local?.getVideoTracks()[0] ?? null, stream: local },
      send: (s) => peer === this.#peer && this.#sendSignal(s),
      onRemoteStream: (stream) => {
        if (peer !== this.#peer) return;
        this.#view = { ...this.#view, remote: stream, streamsVersion: this.#view.streamsVersion + 1 };
        this.#changed();
      },
      onLink: (link) => peer === this.#peer && this.dispatch({ type: 'media', link }),
      onChannelOpen: () => peer === this.#peer && this.#sendMuteState(),
      onChannelMessage: (m) => {
        if (peer !== this.#peer) return;
        if (m.t === 'hangup') this.dispatch({ type: 'remote-hangup' });
        else {
          this.#view = { ...this.#view, remoteMic: m.mic, remoteCam: m.cam };
          this.#changed();
        }
      },
      mediaReady: () => this.#mediaOrTimeout(),
      log: (msg, err) => this.deps.log(msg, err),
    });
    this.#peer = peer;
  }

  async #acquire(): Promise<void> {
    const { stream, error } = await this.deps.acquireMedia(this.#preferred);
    if (this.#state.kind !== 'call') {
      for (const t of stream?.getTracks() ?? []) t.stop();
      return;
    }
    this.#view = { ...this.#view, local: stream, mediaError: error, streamsVersion: this.#view.streamsVersion + 1 };
    if (error) this.toasts.show(this.deps.mediaErrorText(error), 'warn', 15_000);
    await this.#sendTracks();
    this.#changed();
  }

  async #sendTracks(): Promise<void> {
    const local = this.#view.local;
    const audio = local?.getAudioTracks()[0] ?? null;
    const video = local?.getVideoTracks()[0] ?? null;
    if (audio) audio.enabled = this.#view.micOn;
    if (video) video.enabled = this.#view.camOn;
    await this.#peer?.setTrack('audio', audio, local);
    await this.#peer?.setTrack('video', video, local);
  }

  /** Local media settled, or ANSWER_MEDIA_WAIT_MS passed: whichever comes first. */
  #mediaOrTimeout(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.deps.clock.setTimeout(resolve, ANSWER_MEDIA_WAIT_MS);
      this.#mediaSettled.then(resolve, resolve);
    });
  }

  /** Media that is still being opened when the call starts is attached as soon as it is ready. */
  get mediaSettled(): Promise<void> {
    return this.#mediaSettled;
  }

  #sendMuteState(): void {
    this.#peer?.sendChannel({ t: 'state', mic: this.#view.micOn, cam: this.#view.camOn });
  }

  // Commands from the UI.

  /** Asks for the camera and microphone again (after the user allowed them in the browser). */
  async retryMedia(): Promise<void> {
    if (this.#state.kind !== 'call') return;
    for (const t of this.#view.local?.getTracks() ?? []) t.stop();
    this.#mediaSettled = this.#acquire();
    await this.#mediaSettled;
  }

  toggleMic(): void {
    this.#setEnabled('micOn', 'audio');
  }

  toggleCamera(): void {
    this.#setEnabled('camOn', 'video');
  }

  #setEnabled(flag: 'micOn' | 'camOn', kind: 'audio' | 'video'): void {
    const track = kind === 'audio' ? this.#view.local?.getAudioTracks()[0] : this.#view.local?.getVideoTracks()[0];
    if (!track) {
      const err = this.#view.mediaError;
      if (err) this.toasts.show(this.deps.mediaErrorText(err), 'warn', 15_000);
      return;
    }
    const on = !this.#view[flag];
    track.enabled = on;
    this.#view = { ...this.#view, [flag]: on };
    this.#sendMuteState();
    this.#changed();
  }

  /** Puts a new track of one kind in place of the old (camera switch, device choice, unplug). */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    const old = this.#view.local;
    const keep = old ? old.getTracks().filter((t) => t.kind !== kind) : [];
    for (const t of old?.getTracks() ?? []) if (t.kind === kind && t !== track) t.stop();
    const stream = new MediaStream([...keep, track]);
    this.#view = { ...this.#view, local: stream, streamsVersion: this.#view.streamsVersion + 1 };
    await this.#sendTracks();
    this.#changed();
  }

  /** Remembers a device choice made outside a call (nothing is opened until the call starts). */
  preferDevice(kind: 'audio' | 'video', deviceId: string): void {
    this.#preferred = { ...this.#preferred, [kind === 'audio' ? 'audioId' : 'videoId']: deviceId };
    this.#changed();
  }

  preferredDevice(kind: 'audio' | 'video'): string | null {
    return (kind === 'audio' ? this.#preferred.audioId : this.#preferred.videoId) ?? null;
  }

  /** The network changed: check signalling now and renew the media path. */
  networkChanged(): void {
    this.#signal?.nudge();
    this.#peer?.restartIce();
  }

  /** The page became visible again: check signalling now. */
  nudge(): void {
    this.#signal?.nudge();
  }

  get isInCall(): boolean {
    return this.#state.kind === 'call';
  }
}
