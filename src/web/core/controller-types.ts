import type { Clock } from '../../shared/clock.js';
import type { CandidateInit } from '../../shared/protocol/index.js';
import type { MessageKey } from '../i18n/i18n.js';
import type { MediaErrorCode } from '../media/media-errors.js';
import type { ChannelMessage, PeerSessionOptions } from '../rtc/peer-session.js';
import type { SignalClient, TokenStore } from '../signaling/signal-client.js';
import type { CallState } from './call-machine.js';
import type { LocalView } from './local-tracks.js';
import type { MediaPort } from './media-port.js';

/** The part of SignalClient the controller uses. */
export type SignalLike = Pick<SignalClient, 'onEvent' | 'start' | 'send' | 'close' | 'rejoinFresh' | 'nudge'>;

/** What the controller needs from a peer connection (PeerSession in the app). */
export interface PeerLike {
  handleDescription(d: { type: 'offer' | 'answer'; sdp: string }): void;
  handleCandidate(c: CandidateInit): void;
  replay(): void;
  /** Becomes the offering side if nothing was negotiated yet. */
  offerIfIdle(): void;
  /** A connection made as a standby (PeerOptions.standby) makes its first offer now. */
  start(): void;
  restartIce(): void;
  setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null, stream: MediaStream | null): Promise<void>;
  sendChannel(m: ChannelMessage): boolean;
  close(): void;
}

/** Everything a peer connection is made with, except the clock and certificates main.tsx adds. */
export type PeerOptions = Omit<PeerSessionOptions, 'clock' | 'certificates'>;

/** Adapters the controller drives; main.tsx builds them from browser APIs. */
export interface ControllerDeps {
  createSignal(sessionId: string, tokens: TokenStore): SignalLike;
  createPeer(options: PeerOptions): PeerLike;
  tokensFor(sessionId: string): TokenStore;
  media: MediaPort;
  mediaErrorText(code: MediaErrorCode): MessageKey;
  setUrl(sessionId: string | null): void;
  wakeLock(on: boolean): void;
  log(msg: string, err?: unknown): void;
  clock: Clock;
}

/** Everything the UI renders besides the machine state. */
export interface CallView extends LocalView {
  state: CallState;
  remote: MediaStream | null;
  /** Bumped whenever a stream's tracks change, so the UI re-attaches. */
  streamsVersion: number;
  remoteMic: boolean;
  remoteCam: boolean;
}
