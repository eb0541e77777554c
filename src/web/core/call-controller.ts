import type { IceServer } from '../../shared/protocol/index.js';
import { hangupFrame } from '../../shared/protocol/index.js';
import type { TokenStore } from '../signaling/signal-client.js';
import { type CallEvent, type CallState, type Effect, initialState, transition } from './call-machine.js';
import type { CallView, ControllerDeps, PeerLike, SignalLike } from './controller-types.js';
import { LocalTracks } from './local-tracks.js';
import { routeSignalEvent, signalFrame } from './signal-router.js';
import { ToastList } from './toasts.js';

export type { CallView, ControllerDeps, PeerLike, PeerOptions, SignalLike } from './controller-types.js';

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

/**
 * Runs the machine's effects against the adapters and keeps a view snapshot for the UI. Local
 * media is LocalTracks' job, translating signalling events is routeSignalEvent's.
 */
export class CallController {
  #state: CallState = initialState;
  #signal: SignalLike | null = null;
  #signalOff: (() => void) | null = null;
  #tokens: TokenStore | null = null;
  #peer: PeerLike | null = null;
  /** Made while waiting alone (effect `prepare-peer`), with the ICE servers it was made with. */
  #standby: { peer: PeerLike; iceServers: IceServer[] } | null = null;
  #iceServers: IceServer[] = [];
  #hangupSent = false;
  #listeners = new Set<() => void>();
  /** Bumped on every change listeners hear of: the UI's snapshot (see `version`). */
  #version = 0;
  #remote: Pick<CallView, 'remote' | 'remoteMic' | 'remoteCam'> = { remote: null, remoteMic: true, remoteCam: true };
  /** Bumped whenever the remote stream changes (the local one has its own count). */
  #remoteVersion = 0;
  readonly #media: LocalTracks;
  readonly toasts: ToastList;

  constructor(private readonly deps: ControllerDeps) {
    this.toasts = new ToastList({ onChange: () => this.#changed(), clock: deps.clock });
    this.#media = new LocalTracks({
      media: deps.media,
      toasts: this.toasts,
      mediaErrorText: deps.mediaErrorText,
      // A standby gets our tracks too: it offers with what we send when the other person arrives.
      peer: () => this.#peer ?? this.#standby?.peer ?? null,
      isInCall: () => this.isInCall,
      changed: () => this.#changed(),
    });
  }

  get view(): CallView {
    return {
      state: this.#state,
      ...this.#media.view,
      ...this.#remote,
      streamsVersion: this.#media.version + this.#remoteVersion,
    };
  }

  /**
   * Changes with every change of `view`: a snapshot a UI compares to learn whether it missed one,
   * e.g. one made between its first render and its subscription (a refusal that arrives while
   * the UI mounts would otherwise never be shown).
   */
  get version(): number {
    return this.#version;
  }

  subscribe(cb: () => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  #changed(): void {
    this.#version++;
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
        this.#dropStandby();
        this.#signalOff?.();
        this.#signal?.close();
        this.#signal = this.#signalOff = null;
        return;
      case 'acquire-media':
        this.#hangupSent = false;
        this.#media.acquire();
        return;
      case 'release-media':
        this.#dropStandby();
        this.#media.release();
        this.#remote = { ...this.#remote, remote: null };
        return;
      case 'start-peer':
        this.#startPeer(e.initiator, e.polite);
        return;
      case 'prepare-peer':
        this.#dropStandby();
        this.#standby = { peer: this.#makePeer(true, false, true), iceServers: this.#iceServers };
        return;
      case 'close-peer': {
        const peer = this.#peer;
        this.#peer = null;
        this.#remote = { remote: null, remoteCam: true, remoteMic: true };
        if (peer && this.#hangupSent) this.deps.clock.setTimeout(() => peer.close(), CLOSE_AFTER_HANGUP_MS);
        else peer?.close();
        return;
      }
      case 'replay-local': {
        const peer = this.#peer;
        this.deps.clock.setTimeout(() => peer === this.#peer && peer?.replay(), REPLAY_DELAY_MS);
        return;
      }
      case 'restart-ice':
        this.#peer?.restartIce();
        return;
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
    this.#signalOff = client.onEvent((ev) => {
      for (const step of routeSignalEvent(ev, this.#state)) {
        switch (step.kind) {
          case 'dispatch':
            this.dispatch(step.event);
            break;
          case 'ice-servers':
            this.#iceServers = step.iceServers;
            break;
          case 'description':
            this.#peer?.handleDescription(step.description);
            break;
          case 'candidate':
            this.#peer?.handleCandidate(step.candidate);
            break;
          case 'log':
            this.deps.log(step.message);
            break;
        }
      }
    });
    client.start();
  }

  /**
   * The offering connection, the standby's if it fits: made for the same role, with the ICE
   * servers of our latest `joined` (after a rejoin they carry new credentials).
   */
  #startPeer(initiator: boolean, polite: boolean): void {
    const standby = this.#standby;
    this.#standby = null;
    if (standby && initiator && !polite && standby.iceServers === this.#iceServers) {
      this.#peer = standby.peer;
      standby.peer.start();
      return;
    }
    standby?.peer.close();
    this.#peer = this.#makePeer(initiator, polite, false);
  }

  #dropStandby(): void {
    this.#standby?.peer.close();
    this.#standby = null;
  }

  /** Its callbacks act only while it is the current connection (a standby's, once taken). */
  #makePeer(initiator: boolean, polite: boolean, standby: boolean): PeerLike {
    const peer: PeerLike = this.deps.createPeer({
      iceServers: this.#iceServers,
      initiator,
      polite,
      ...(standby ? { standby } : {}),
      tracks: this.#media.tracks,
      send: (s) => {
        if (peer === this.#peer && this.#state.kind === 'call')
          this.#signal?.send(signalFrame(this.#state.sessionId, s));
      },
      onRemoteStream: (stream) => {
        if (peer !== this.#peer) return;
        this.#remote = { ...this.#remote, remote: stream };
        this.#remoteVersion++;
        this.#changed();
      },
      onLink: (link) => {
        if (peer !== this.#peer) return;
        // The media path broke: is signalling still there? Ask now rather than at the next ping.
        if (link === 'interrupted') this.#signal?.nudge();
        this.dispatch({ type: 'media', link });
      },
      onChannelOpen: () => peer === this.#peer && this.#media.sendMuteState(),
      onChannelMessage: (m) => {
        if (peer !== this.#peer) return;
        if (m.t === 'hangup') this.dispatch({ type: 'remote-hangup' });
        else {
          this.#remote = { ...this.#remote, remoteMic: m.mic, remoteCam: m.cam };
          this.#changed();
        }
      },
      mediaReady: () => this.#mediaOrTimeout(),
      log: (msg, err) => this.deps.log(msg, err),
    });
    return peer;
  }

  /** Local media settled, or ANSWER_MEDIA_WAIT_MS passed: whichever comes first. */
  #mediaOrTimeout(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.deps.clock.setTimeout(resolve, ANSWER_MEDIA_WAIT_MS);
      this.#media.settled.then(resolve, resolve);
    });
  }

  get isInCall(): boolean {
    return this.#state.kind === 'call';
  }

  // Commands from the UI and from the page's events (main.tsx).

  /** Asks for the camera and microphone again (after the user allowed them in the browser). */
  async retryMedia(): Promise<void> {
    if (this.#state.kind !== 'call') return;
    this.#media.release();
    this.#media.acquire();
    await this.#media.settled;
  }

  toggleMic(): void {
    this.#media.toggleMic();
  }

  toggleCamera(): void {
    this.#media.toggleCamera();
  }

  /** Uses this camera or microphone now (if the call has media) and for later calls. */
  chooseDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    return this.#media.chooseDevice(kind, deviceId);
  }

  /** The next camera (front and back on a phone). */
  switchCamera(): Promise<void> {
    return this.#media.switchCamera();
  }

  /** The device in use (or chosen) for a kind; null when none is known. */
  currentDevice(kind: 'audio' | 'video'): string | null {
    return this.#media.currentDevice(kind);
  }

  /** Lists the cameras and microphones again (the settings opened). */
  refreshDevices(): Promise<void> {
    return this.#media.refreshDevices();
  }

  /** A device was plugged in or out: list again and replace any track that died. */
  devicesChanged(): Promise<void> {
    return this.#media.devicesChanged();
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
}
