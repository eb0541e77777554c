import type { Clock } from '../../shared/clock.js';
import { type CandidateInit, type IceServer, toCandidateInit } from '../../shared/protocol/index.js';
import { IceRestartPolicy } from './ice-restart-policy.js';
import { candidateKey, sdpFingerprint } from './sdp.js';
import { LOOKS, SETTLE_MS, sampleOf, type VideoSendSample, videoSendStalled, WINDOW_MS } from './send-watch.js';

export type Description = { type: 'offer' | 'answer'; sdp: string };
export type OutgoingSignal =
  | { kind: 'description'; description: Description }
  | { kind: 'candidate'; candidate: CandidateInit };
/** What the peers say to each other directly, so it works while signalling is down. */
export type ChannelMessage = { t: 'hangup' } | { t: 'state'; mic: boolean; cam: boolean };

export interface PeerSessionOptions {
  iceServers: IceServer[];
  /** A DTLS certificate generated ahead of time, so the first offer or answer need not wait for one. */
  certificates?: RTCCertificate[];
  /** Yields on offer glare (perfect negotiation); the second joiner is polite. */
  polite: boolean;
  /** Sets up the transceivers and the data channel and so makes the first offer. */
  initiator: boolean;
  /**
   * Made ahead, while waiting alone for the other person (with `initiator`): the connection,
   * its transceivers (once local media has settled) and its data channel are ready, and the
   * first offer waits for `start()`. The browser's own setup of a connection then stays off
   * the moment the other person arrives (issue 11).
   */
  standby?: boolean;
  tracks: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null; stream: MediaStream | null };
  send(signal: OutgoingSignal): void;
  onRemoteStream(stream: MediaStream): void;
  onLink(link: 'connected' | 'interrupted'): void;
  onChannelMessage(message: ChannelMessage): void;
  onChannelOpen(): void;
  /**
   * Resolves when local media has settled (opened, refused, or taken too long). The answerer
   * waits for it before answering, so one offer/answer carries video both ways instead of an
   * answer without tracks followed by a second offer.
   */
  mediaReady?(): Promise<void>;
  log?(msg: string, err?: unknown): void;
  /** Times the ICE restarts (IceRestartPolicy). */
  clock: Clock;
}

type Kind = 'audio' | 'video';

/**
 * One RTCPeerConnection with perfect negotiation: glare, replays and late candidates never
 * break it, ICE restarts itself when the path fails, and a data channel carries in-call
 * messages (hangup, mute state) independently of the signalling server.
 */
export class PeerSession {
  #pc!: RTCPeerConnection;
  /**
   * Data channels of the current connection. Usually one; after offer glare each side may have
   * created its own, so messages are taken from any of them and sent on an open one.
   */
  #channels: RTCDataChannel[] = [];
  #makingOffer = false;
  #ignoreOffer = false;
  #pending: CandidateInit[] = [];
  #seenRemote = new Set<string>();
  /** SDP texts already applied (browsers re-serialise remoteDescription, so keep our own copy). */
  #appliedRemote = new Set<string>();
  #remoteFingerprint: string | null = null;
  #lastLocal: Description | null = null;
  #localCandidates: CandidateInit[] = [];
  #remoteStream = new MediaStream();
  #work: Promise<void> = Promise.resolve();
  readonly #restarts: IceRestartPolicy;
  #closed = false;
  /** A standby not started yet: no offer goes out (see PeerSessionOptions.standby). */
  #held: boolean;
  /**
   * We replaced our connection ourselves (#startOver): the next ones get a certificate of their
   * own, so the other side sees a new fingerprint and rebuilds too instead of taking our offer
   * as a renegotiation of its old connection.
   */
  #startedOver = false;
  /** The media link broke and has not come back yet (see #watchVideoSend). */
  #interrupted = false;
  readonly #o: PeerSessionOptions;

  constructor(options: PeerSessionOptions) {
    this.#o = options;
    this.#held = options.standby === true && options.initiator;
    this.#restarts = new IceRestartPolicy({
      clock: options.clock,
      offerer: options.initiator,
      restart: () => this.restartIce(),
      connectionState: () => this.#pc.connectionState,
      onLink: (link) => {
        if (link === 'connected' && this.#interrupted) this.#watchVideoSend(this.#pc);
        this.#interrupted = link === 'interrupted';
        this.#o.onLink(link);
      },
    });
    this.#create(options.initiator);
  }

  #create(initiator: boolean): void {
    const pc = new RTCPeerConnection({
      iceServers: this.#o.iceServers as RTCIceServer[],
      bundlePolicy: 'max-bundle',
      ...(this.#o.certificates && !this.#startedOver ? { certificates: this.#o.certificates } : {}),
    });
    this.#pc = pc;
    this.#makingOffer = this.#ignoreOffer = false;
    this.#pending = [];
    this.#seenRemote.clear();
    this.#appliedRemote.clear();
    this.#remoteFingerprint = null;
    this.#lastLocal = null;
    this.#localCandidates = [];
    this.#remoteStream = new MediaStream();
    this.#channels = [];
    pc.onnegotiationneeded = () => this.#queue(() => this.#offer(pc));
    pc.onicecandidate = ({ candidate }) => {
      if (pc !== this.#pc || !candidate || !candidate.candidate) return;
      const init = toCandidateInit(candidate);
      this.#localCandidates.push(init);
      this.#o.send({ kind: 'candidate', candidate: init });
    };
    pc.ontrack = ({ track }) => {
      if (pc !== this.#pc) return;
      for (const old of this.#remoteStream.getTracks())
        if (old.kind === track.kind && old !== track) this.#remoteStream.removeTrack(old);
      if (!this.#remoteStream.getTracks().includes(track)) this.#remoteStream.addTrack(track);
      this.#o.onRemoteStream(this.#remoteStream);
    };
    pc.onconnectionstatechange = () => pc === this.#pc && this.#restarts.connectionStateChanged(pc.connectionState);
    pc.onsignalingstatechange = () => {
      if (pc !== this.#pc || pc.signalingState !== 'stable') return;
      this.#restarts.negotiationSettled(pc.connectionState === 'connected', () => {
        const s = pc.connectionState;
        return pc === this.#pc && !this.#closed && (s === 'new' || s === 'connecting');
      });
    };
    pc.ondatachannel = ({ channel }) => pc === this.#pc && this.#useChannel(pc, channel);
    if (initiator && this.#held) {
      // With the tracks it will send, so the first offer carries them and needs no second one.
      void this.#o.mediaReady?.().then(() => {
        if (pc === this.#pc && !this.#closed && this.#held && pc.getTransceivers().length === 0) this.#addSending(pc);
      });
    } else if (initiator) this.#setUpAsOfferer(pc);
  }

  /** A standby starts negotiating: its first offer goes out now. A no-op on any other connection. */
  start(): void {
    if (!this.#held || this.#closed) return;
    this.#held = false;
    const pc = this.#pc;
    if (pc.getTransceivers().length === 0) this.#setUpAsOfferer(pc);
    else this.#queue(() => this.#offer(pc));
  }

  /** Transceivers for both kinds (sending what we have) and the data channel: this makes an offer. */
  #setUpAsOfferer(pc: RTCPeerConnection): void {
    this.#addSending(pc);
    // Offer now rather than in the `negotiationneeded` task the browser queues for later: on a
    // busy page that task waits behind others, and the first offer is on every call's critical
    // path. The event, when it comes, finds the offer made (see #offer).
    this.#queue(() => this.#offer(pc));
  }

  #addSending(pc: RTCPeerConnection): void {
    for (const kind of ['audio', 'video'] as const) {
      const track = this.#o.tracks[kind];
      const streams = this.#o.tracks.stream ? [this.#o.tracks.stream] : [];
      if (track) pc.addTransceiver(track, { direction: 'sendrecv', streams });
      else pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    this.#useChannel(pc, pc.createDataChannel('homecall', { ordered: true }));
  }

  #useChannel(pc: RTCPeerConnection, channel: RTCDataChannel): void {
    this.#channels.push(channel);
    channel.onopen = () => pc === this.#pc && this.#o.onChannelOpen();
    channel.onmessage = (ev) => {
      if (pc !== this.#pc || typeof ev.data !== 'string') return;
      try {
        const msg = JSON.parse(ev.data) as ChannelMessage;
        if (msg.t === 'hangup' || (msg.t === 'state' && typeof msg.mic === 'boolean' && typeof msg.cam === 'boolean')) {
          this.#o.onChannelMessage(msg);
        }
      } catch {
        // Not ours; ignore.
      }
    };
  }

  /** Remote frames are applied one at a time, in order: SDP operations must not interleave. */
  #queue(fn: () => Promise<void>): void {
    this.#work = this.#work.then(fn).catch((e) => this.#o.log?.('negotiation step failed', e));
  }

  async #offer(pc: RTCPeerConnection): Promise<void> {
    if (pc !== this.#pc || this.#closed || this.#held) return;
    // Already offering (made by #setUpAsOfferer before the event came): the browser asks again
    // once back in `stable` if anything is still to negotiate.
    if (pc.signalingState !== 'stable') return;
    try {
      this.#makingOffer = true;
      await pc.setLocalDescription();
      this.#sendLocal(pc);
    } finally {
      this.#makingOffer = false;
    }
  }

  #sendLocal(pc: RTCPeerConnection): void {
    const d = pc.localDescription;
    if (!d || (d.type !== 'offer' && d.type !== 'answer')) return;
    this.#lastLocal = { type: d.type, sdp: d.sdp };
    this.#o.send({ kind: 'description', description: this.#lastLocal });
  }

  /** Applies a remote offer or answer; a description already applied is a no-op. */
  handleDescription(desc: Description): void {
    this.#queue(async () => {
      if (this.#closed) return;
      let pc = this.#pc;
      if (this.#appliedRemote.has(desc.sdp)) return;
      if (desc.type === 'answer' && pc.signalingState !== 'have-local-offer') return; // a stale or replayed answer
      const known = this.#remoteFingerprint;
      if (desc.type === 'offer' && known !== null && known !== sdpFingerprint(desc.sdp)) {
        // A different RTCPeerConnection on the other side (its page was reloaded while its
        // place was kept): start over on a fresh connection of ours and answer it.
        pc.close();
        this.#create(false);
        pc = this.#pc;
      }
      const collision = desc.type === 'offer' && (this.#makingOffer || pc.signalingState !== 'stable');
      this.#ignoreOffer = !this.#o.polite && collision;
      if (this.#ignoreOffer) return;
      await pc.setRemoteDescription(desc);
      this.#appliedRemote.add(desc.sdp);
      this.#remoteFingerprint = sdpFingerprint(desc.sdp);
      for (const c of this.#pending.splice(0)) await this.#addCandidate(pc, c);
      if (desc.type === 'offer') {
        await this.#o.mediaReady?.();
        if (pc !== this.#pc || this.#closed) return;
        await this.#attachTracksForAnswer(pc);
        await pc.setLocalDescription();
        this.#sendLocal(pc);
      }
    });
  }

  /** Adds a remote candidate, buffered until the remote description is set; repeats are no-ops. */
  handleCandidate(init: CandidateInit): void {
    this.#queue(async () => {
      if (this.#closed) return;
      if (!this.#pc.remoteDescription) {
        this.#pending.push(init);
        return;
      }
      await this.#addCandidate(this.#pc, init);
    });
  }

  async #addCandidate(pc: RTCPeerConnection, init: CandidateInit): Promise<void> {
    const key = candidateKey(init);
    if (this.#seenRemote.has(key)) return;
    this.#seenRemote.add(key);
    try {
      await pc.addIceCandidate(init);
    } catch (e) {
      // Candidates of an offer we ignored on glare fail to apply; that is expected.
      if (!this.#ignoreOffer) this.#o.log?.('candidate refused', e);
    }
  }

  /** The answerer sends what it has on the transceivers the offer created. */
  async #attachTracksForAnswer(pc: RTCPeerConnection): Promise<void> {
    // Both kinds at once: each replaceTrack is a round trip to the browser's WebRTC thread.
    await Promise.all(
      pc.getTransceivers().map(async (t) => {
        const kind = t.receiver.track.kind as Kind;
        if (t.currentDirection === 'stopped' || t.sender.track) return;
        const track = this.#o.tracks[kind];
        if (track) {
          // No setStreams here: it would ask for a renegotiation right after our answer. The other
          // side collects tracks itself and does not rely on stream ids.
          await t.sender.replaceTrack(track);
          t.direction = 'sendrecv';
        } else if (t.direction === 'sendrecv') {
          t.direction = 'recvonly';
        }
      }),
    );
  }

  offerIfIdle(): void {
    this.#queue(async () => {
      const pc = this.#pc;
      if (this.#closed || pc.remoteDescription || pc.localDescription || pc.getTransceivers().length > 0) return;
      this.#setUpAsOfferer(pc);
    });
  }

  /** Seed rule 4: after a reconnect, re-send the last local description and our candidates. */
  replay(): void {
    this.#queue(async () => {
      if (this.#closed || !this.#lastLocal) return;
      this.#o.send({ kind: 'description', description: this.#lastLocal });
      for (const c of this.#localCandidates) this.#o.send({ kind: 'candidate', candidate: c });
    });
  }

  /** Starts an ICE restart (network changed or the path failed); negotiation does the rest. */
  restartIce(): void {
    if (this.#closed) return;
    this.#localCandidates = [];
    this.#pc.restartIce();
  }

  /** Swaps what we send (device change, camera switch, camera granted later). */
  async setTrack(kind: Kind, track: MediaStreamTrack | null, stream: MediaStream | null): Promise<void> {
    this.#o.tracks[kind] = track;
    this.#o.tracks.stream = stream;
    for (const t of this.#pc.getTransceivers()) {
      if (t.currentDirection === 'stopped' || t.receiver.track.kind !== kind) continue;
      await t.sender.replaceTrack(track);
      if (track && t.direction === 'recvonly') t.direction = 'sendrecv';
    }
  }

  /**
   * The link is back after an outage: look at our video sender every few seconds and, if its encoder is
   * stuck (send-watch.ts), start over on a fresh connection, as a reload would. The other
   * side sees an offer from a new connection and rebuilds its own (handleDescription).
   */
  #watchVideoSend(pc: RTCPeerConnection): void {
    const sample = async () => {
      const sender = pc.getTransceivers().find((t) => t.receiver.track.kind === 'video')?.sender;
      if (!sender) return null;
      const report: Record<string, unknown>[] = [];
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        report.push(s);
      });
      return sampleOf(report, sender.track);
    };
    const current = () => pc === this.#pc && !this.#closed && !this.#interrupted && pc.connectionState === 'connected';
    let last: VideoSendSample | null = null;
    let looks = 0;
    const look = async () => {
      if (!current()) return;
      const now = await sample();
      if (now === null || !current()) return;
      if (last !== null && videoSendStalled(last, now)) {
        this.#o.log?.('our video stopped after the outage; starting over on a fresh connection');
        this.#startOver();
        return;
      }
      last = now;
      if (++looks < LOOKS) this.#o.clock.setTimeout(look, WINDOW_MS);
    };
    this.#o.clock.setTimeout(look, SETTLE_MS);
  }

  /** A fresh connection of ours that offers at once (the other side answers from a fresh one). */
  #startOver(): void {
    this.#queue(async () => {
      if (this.#closed) return;
      this.#closeConnection();
      this.#startedOver = true;
      this.#create(true);
    });
  }

  /** Sends on the data channel; false when it is not open. */
  sendChannel(message: ChannelMessage): boolean {
    const ch = this.#channels.findLast((c) => c.readyState === 'open');
    if (!ch) return false;
    ch.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#restarts.stop();
    this.#closeConnection();
  }

  #closeConnection(): void {
    for (const ch of this.#channels) ch.close();
    this.#pc.close();
  }
}
