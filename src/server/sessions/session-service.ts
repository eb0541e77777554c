import {
  type ClientFrame,
  type Envelope,
  ErrorCode,
  type IceServer,
  type Limits,
  type PeerState,
  type RelayFrame,
  CloseCode,
  HangupReason,
  hangupFrame,
  joinedFrame,
  parseBody,
  peerFrame,
  pongFrame,
} from '../../shared/protocol/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Connection, type PeerLink } from './connection.js';
import type { ResumeTokens } from './resume-token.js';
import { type ContextRef, combineObservers, type EndReason, type SessionObserver } from './session-events.js';
import { sendError, sendInternalError } from './send-error.js';
import type { SessionPort } from './session-port.js';
import {
  type Admission,
  type Place,
  type RelayResult,
  type RemoteEvent,
  type Seat,
  type SessionRegistry,
  otherPlace,
} from './session-registry.js';

/** The seat a `joined` is for, as the ICE server provider sees it. */
export interface IceSeat {
  readonly contextId: string;
  readonly place: Place;
  /** Wall-clock ms of the session's hard end. */
  readonly expiresAtMs: number;
}

export interface SessionServiceOptions {
  registry: SessionRegistry;
  tokens: ResumeTokens;
  logger: Logger;
  metrics: Metrics;
  /** Told of every context and place change (metrics, TURN credentials, ...). */
  observers: readonly SessionObserver[];
  limits: Limits;
  clock: Clock;
  /** The ICE servers of one `joined`: per participant, as TURN credentials are minted per seat. */
  iceServers: (seat: IceSeat) => IceServer[];
  /** The log tag of a session id (a keyed hash; the id itself never reaches a log). */
  tagSession: (sessionId: string) => string;
}

interface SessionTimers {
  contextId: string;
  /** The log tag, computed once per context (an HMAC per log line showed in profiles). */
  tag: string;
  alone: TimerHandle | null;
  lifetime: TimerHandle | null;
  grace: [TimerHandle | null, TimerHandle | null];
}

/**
 * The protocol's lifecycle rules (protocol.md rules 1-8), once, above the registry. It sees
 * parsed envelopes and PeerLinks, never sockets.
 */
export class SessionService implements SessionPort<Connection> {
  readonly #registry: SessionRegistry;
  readonly #tokens: ResumeTokens;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #events: Required<SessionObserver>;
  readonly #limits: Limits;
  readonly #clock: Clock;
  readonly #iceServers: (seat: IceSeat) => IceServer[];
  readonly #tag: (sessionId: string) => string;
  readonly #connections = new Map<string, Connection>();
  readonly #timers = new Map<string, SessionTimers>();
  /** Tokens issued before this moment may restore a context lost in a restart (rule 7). */
  readonly #startedAt: number;

  constructor(options: SessionServiceOptions) {
    this.#registry = options.registry;
    this.#tokens = options.tokens;
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#events = combineObservers(options.observers, (error) =>
      this.#log.error({ err: error, event: 'observer-failed' }),
    );
    this.#limits = options.limits;
    this.#clock = options.clock;
    this.#iceServers = options.iceServers;
    this.#tag = options.tagSession;
    this.#startedAt = options.clock.wallNow();
    options.registry.subscribe?.((event) => this.#remote(event));
  }

  /** Registers a new socket. */
  open(link: PeerLink): Connection {
    const conn = new Connection(link);
    this.#connections.set(link.id, conn);
    return conn;
  }

  /**
   * Handles one envelope from a socket, after every earlier one of that socket. With nothing
   * of the socket in flight it runs at once, so a relay through a registry that answers
   * synchronously costs no promise hop; otherwise it waits its turn on the socket's chain.
   */
  receive(conn: Connection, envelope: Envelope, bytes: number): void {
    if (conn.inFlight > 0) {
      this.#track(
        conn,
        conn.chain.then(() => this.#handle(conn, envelope, bytes)),
      );
      return;
    }
    let result: void | Promise<void>;
    try {
      result = this.#handle(conn, envelope, bytes);
    } catch (error) {
      return this.#internal(conn, error);
    }
    if (result instanceof Promise) this.#track(conn, result);
  }

  /** The socket closed; `clean` when the peer sent close 1000/1001. */
  closed(conn: Connection, clean: boolean): void {
    this.#track(
      conn,
      conn.chain.then(() => this.#handleClose(conn, clean)),
    );
  }

  /** Makes `step` the tail of the socket's chain until it settles. */
  #track(conn: Connection, step: Promise<void>): void {
    conn.inFlight += 1;
    conn.chain = step.then(
      () => {
        conn.inFlight -= 1;
      },
      (error: unknown) => {
        conn.inFlight -= 1;
        this.#internal(conn, error);
      },
    );
  }

  /** Cancels every timer (server shutdown). */
  stop(): void {
    for (const timers of this.#timers.values()) this.#clearTimers(timers);
    this.#timers.clear();
  }

  get timerCount(): number {
    return this.#timers.size;
  }

  #handle(conn: Connection, envelope: Envelope, bytes: number): void | Promise<void> {
    const link = conn.link;
    switch (conn.state) {
      case 'new':
        // Rule 4: nothing but `join` before the handshake.
        if (envelope.type !== 'join') return this.#garbage(conn, ErrorCode.NOT_JOINED, null);
        break;
      case 'joined':
        if (envelope.sessionId !== conn.seat?.sessionId) {
          // Rule 4: the id is checked before the body is looked at; nothing is relayed.
          return this.#garbage(conn, ErrorCode.SIGNAL_NOT_FOUND, conn.seat?.sessionId ?? null);
        }
        if (envelope.type === 'join') return this.#garbage(conn, ErrorCode.BAD_MESSAGE, envelope.sessionId);
        break;
      case 'ended':
        return this.#garbage(conn, ErrorCode.SESSION_ENDED, envelope.sessionId);
      case 'replaced':
        return this.#garbage(conn, ErrorCode.SIGNAL_NOT_FOUND, envelope.sessionId);
      case 'closed':
        return;
    }
    const parsed = parseBody(envelope);
    if (!parsed.ok) return this.#garbage(conn, parsed.error.code, envelope.sessionId);
    const frame: ClientFrame = parsed.value;
    switch (frame.type) {
      case 'join':
        return frame.resume === undefined
          ? this.#join(conn, frame.sessionId)
          : this.#resume(conn, frame.sessionId, frame.resume);
      case 'offer':
      case 'answer':
      case 'candidate':
        return this.#relay(conn, frame, bytes);
      case 'hangup':
        return this.#hangup(conn, frame.reason);
      case 'ping':
        return link.send(pongFrame(frame.sessionId));
    }
  }

  async #join(conn: Connection, sessionId: string): Promise<void> {
    const result = await this.#registry.join(sessionId, conn.link.id, this.#clock.wallNow());
    if (result.kind !== 'admitted') return this.#refuseJoin(conn, sessionId, result.kind);
    const { admission, tookOver } = result;
    const seat = admission.seat;
    if (admission.created) this.#started(seat);
    if (tookOver) this.#cancelGrace(seat.sessionId, seat.place);
    this.#log.info({
      session: this.#tagOf(sessionId),
      event: admission.created ? 'created' : 'joined',
      place: seat.place,
      tookOver,
    });
    this.#admit(conn, admission, admission.other === 'held' ? 'away' : null);
    this.#notifyOther(admission, 'joined');
  }

  async #resume(conn: Connection, sessionId: string, token: string): Promise<void> {
    const claims = this.#tokens.verify(token);
    // A token never opens another session than the one it was issued for.
    if (claims === null || claims.sessionId !== sessionId) {
      return this.#refuseResume(conn, sessionId);
    }
    const now = this.#clock.wallNow();
    // Rule 7. A restart counts as a drop of everyone: a context lost with the process may be
    // restored from a token issued before it, within the grace period after the start. An
    // in-memory node keeps nothing on disk, so it cannot tell a context lost in the restart
    // from one ended by hangup just before it; the window keeps that ambiguity short.
    const mayRestore =
      claims.issuedAt < this.#startedAt &&
      now - this.#startedAt <= this.#limits.graceMs &&
      now - claims.createdAt < this.#limits.sessionLifetimeMs;
    const result = await this.#registry.resume(claims, conn.link.id, { now, mayRestore });
    if (result.kind !== 'resumed') {
      if (result.kind === 'stale') {
        return this.#refuseResume(conn, sessionId);
      }
      return this.#refuseJoin(conn, sessionId, result.kind);
    }
    const { admission, replacedLink, restored, rejoined, otherChanged } = result;
    const seat = admission.seat;
    if (replacedLink !== null) this.#replace(replacedLink);
    this.#cancelGrace(seat.sessionId, seat.place);
    if (restored) {
      this.#started(seat);
      // The other place waits for its own participant, within the grace period.
      this.#startGrace({ ...seat, place: otherPlace(seat.place), occupant: '', gen: 0, linkId: '' });
    }
    const event = restored ? 'restored' : rejoined ? 'joined' : 'resumed';
    this.#log.info({ session: this.#tagOf(sessionId), event, place: seat.place });
    this.#admit(conn, admission, otherChanged ? 'joined' : admission.other === 'held' ? 'away' : null);
    this.#notifyOther(admission, rejoined ? 'joined' : 'back');
  }

  /** Replies `joined`, tells the newcomer about its peer, then delivers its queue in order. */
  #admit(conn: Connection, admission: Admission, peerNotice: PeerState | null): void {
    const { seat, other, queued } = admission;
    this.#events.placeAttached(contextOf(seat), seat.place);
    conn.seat = seat;
    conn.state = 'joined';
    const expiresAtMs = seat.createdAt + this.#limits.sessionLifetimeMs;
    const token = this.#tokens.sign({ ...seat, issuedAt: this.#clock.wallNow() });
    const iceServers = this.#iceServers({ contextId: seat.contextId, place: seat.place, expiresAtMs });
    conn.link.send(joinedFrame(seat.sessionId, other !== 'free', token, iceServers));
    if (peerNotice !== null) conn.link.send(peerFrame(seat.sessionId, peerNotice));
    for (const text of queued) conn.link.sendText(text);
    conn.open();
    this.#armLifetime(seat);
    if (other === 'free') this.#startAlone(seat);
    else this.#cancelAlone(seat.sessionId);
  }

  #notifyOther(admission: Admission, state: PeerState): void {
    if (admission.otherLink === null) return;
    this.#connections.get(admission.otherLink)?.deliver(JSON.stringify(peerFrame(admission.seat.sessionId, state)));
  }

  #refuseJoin(conn: Connection, sessionId: string, kind: 'full' | 'busy' | 'ended'): void {
    const code =
      kind === 'full' ? ErrorCode.SESSION_FULL : kind === 'busy' ? ErrorCode.SERVER_BUSY : ErrorCode.SESSION_ENDED;
    conn.state = 'closed';
    sendError(conn.link, this.#log, {
      code,
      sessionId,
      closeReason: code,
      event: 'refused',
      detail: { session: this.#tagOf(sessionId) },
    });
  }

  /** A token that opens nothing (forged, of another session, or of an earlier generation). */
  #refuseResume(conn: Connection, sessionId: string): void {
    sendError(conn.link, this.#log, {
      code: ErrorCode.SIGNAL_NOT_FOUND,
      sessionId,
      throttled: true,
      event: 'resume-refused',
      detail: { session: this.#tagOf(sessionId) },
    });
  }

  /** Answers a frame that breaks a rule (rule 4, bad bodies), within the link's error budget. */
  #garbage(conn: Connection, code: ErrorCode, sessionId: string | null): void {
    sendError(conn.link, this.#log, { code, sessionId, throttled: true, event: 'bad-frame' });
  }

  /** Rule 2 / R4: a half-open socket that still held the place is superseded and closed. */
  #replace(linkId: string): void {
    const old = this.#connections.get(linkId);
    if (old === undefined) return;
    old.state = 'replaced';
    old.seat = null;
    old.link.close(CloseCode.POLICY_VIOLATION, 'replaced by a newer connection');
  }

  #relay(conn: Connection, frame: RelayFrame, bytes: number): void | Promise<void> {
    const seat = conn.seat as Seat;
    // The frame was rebuilt from validated fields: unknown fields never reach the peer.
    const text = JSON.stringify(frame);
    const result = this.#registry.relay(seat, text, bytes);
    if (result instanceof Promise) return result.then((r) => this.#relayed(conn, seat, frame, text, r));
    this.#relayed(conn, seat, frame, text, result);
  }

  #relayed(conn: Connection, seat: Seat, frame: RelayFrame, text: string, result: RelayResult): void {
    switch (result.kind) {
      case 'deliver': {
        const peer = this.#connections.get(result.link);
        if (peer !== undefined) {
          peer.deliver(text);
          this.#metrics.frameRelayed();
        }
        return;
      }
      case 'forwarded':
        this.#metrics.frameRelayed();
        return;
      case 'queued':
        this.#metrics.frameQueued();
        return;
      case 'queue-full':
        return sendError(conn.link, this.#log, {
          code: ErrorCode.QUEUE_FULL,
          sessionId: seat.sessionId,
          event: 'queue-full',
          detail: { session: this.#tagOf(seat.sessionId), frame: frame.type },
        });
      case 'stale':
        return this.#garbage(conn, ErrorCode.SIGNAL_NOT_FOUND, seat.sessionId);
    }
  }

  /** Rule 5: relay, confirm, close both, forget the context at once. */
  async #hangup(conn: Connection, reason: string | undefined): Promise<void> {
    const seat = conn.seat as Seat;
    await this.#end(seat.sessionId, seat.contextId, 'hangup', reason);
  }

  async #end(sessionId: string, contextId: string, why: EndReason, reason?: string): Promise<void> {
    const result = await this.#registry.end(sessionId, contextId, reason);
    if (result.kind === 'stale') return;
    this.#forget({ sessionId, contextId }, why);
    const text = JSON.stringify(hangupFrame(sessionId, reason));
    for (const linkId of result.links) {
      const conn = this.#connections.get(linkId);
      if (conn === undefined) continue;
      conn.state = 'ended';
      conn.seat = null;
      conn.deliver(text);
      conn.link.close(CloseCode.NORMAL, 'session ended');
    }
  }

  /** Another node (or the sweeper) changed the session of one of this node's sockets. */
  #remote(event: RemoteEvent): void {
    const conn = this.#connections.get(event.link);
    const seat = conn?.seat;
    if (conn === undefined || conn.state !== 'joined' || seat == null) return;
    switch (event.kind) {
      case 'frame':
        conn.deliver(event.text);
        this.#metrics.frameRelayed();
        return;
      case 'peer':
        conn.deliver(JSON.stringify(peerFrame(seat.sessionId, event.state)));
        if (event.state === 'left') this.#startAlone(seat);
        else if (event.state === 'joined' || event.state === 'back') this.#cancelAlone(seat.sessionId);
        return;
      case 'ended': {
        const timers = this.#timers.get(seat.sessionId);
        if (timers !== undefined) this.#clearTimers(timers);
        this.#timers.delete(seat.sessionId);
        conn.state = 'ended';
        conn.seat = null;
        conn.deliver(JSON.stringify(hangupFrame(seat.sessionId, event.reason)));
        conn.link.close(CloseCode.NORMAL, 'session ended');
        return;
      }
      case 'lost':
        // This node no longer holds the place (declared dead, or the place moved): the client resumes.
        conn.state = 'replaced';
        conn.seat = null;
        conn.link.close(CloseCode.SERVICE_RESTART, 'place moved to another node');
        return;
    }
  }

  async #handleClose(conn: Connection, clean: boolean): Promise<void> {
    this.#connections.delete(conn.link.id);
    const seat = conn.seat;
    const wasJoined = conn.state === 'joined';
    conn.state = 'closed';
    conn.seat = null;
    if (!wasJoined || seat === null) return;
    // Rule 6: a clean close frees the place at once; a drop holds it for the grace period.
    const result = await this.#registry.leave(seat, clean ? 'free' : 'hold', this.#clock.wallNow());
    if (result.kind === 'stale') return;
    this.#log.info({ session: this.#tagOf(seat.sessionId), event: clean ? 'left' : 'away', place: seat.place });
    if (result.kind === 'held') this.#events.placeHeld(contextOf(seat), seat.place);
    else this.#events.placeFreed(contextOf(seat), seat.place);
    if (result.dropped) return this.#forget(seat, 'left');
    if (result.kind === 'held') this.#startGrace(seat);
    if (result.otherLink !== null) {
      this.#connections
        .get(result.otherLink)
        ?.deliver(JSON.stringify(peerFrame(seat.sessionId, clean ? 'left' : 'away')));
      if (clean) this.#startAlone(seat);
    }
  }

  async #expireGrace(seat: Seat): Promise<void> {
    const timers = this.#timers.get(seat.sessionId);
    if (timers?.contextId === seat.contextId) timers.grace[seat.place] = null;
    const result = await this.#registry.expire(seat);
    if (result.kind === 'stale') return;
    this.#log.info({ session: this.#tagOf(seat.sessionId), event: 'grace-expired', place: seat.place });
    this.#events.placeFreed(contextOf(seat), seat.place);
    if (result.dropped) return this.#forget(seat, 'left');
    if (result.otherLink !== null) {
      this.#connections.get(result.otherLink)?.deliver(JSON.stringify(peerFrame(seat.sessionId, 'left')));
      this.#startAlone(seat);
    }
  }

  async #expireAlone(sessionId: string, contextId: string): Promise<void> {
    const view = await this.#registry.peek(sessionId);
    if (view === null || view.contextId !== contextId || !view.places.includes('free')) return;
    this.#log.info({ session: this.#tagOf(sessionId), event: 'alone-timeout' });
    await this.#end(sessionId, contextId, 'timeout', HangupReason.TIMEOUT);
  }

  // Timers: one record per live context, so ending a context clears all of them at once.

  #started(seat: Seat): void {
    this.#events.contextCreated(contextOf(seat));
    this.#armLifetime(seat);
  }

  /** Every node with a participant enforces the lifetime (the creating node may be gone). */
  #armLifetime(seat: Seat): void {
    const timers = this.#timersOf(seat);
    if (timers.lifetime !== null) return;
    const remaining = seat.createdAt + this.#limits.sessionLifetimeMs - this.#clock.wallNow();
    timers.lifetime = this.#clock.setTimeout(
      () => {
        this.#log.info({ session: this.#tagOf(seat.sessionId), event: 'lifetime-reached' });
        void this.#end(seat.sessionId, seat.contextId, 'lifetime', HangupReason.LIFETIME).catch((e: unknown) =>
          this.#internal(null, e),
        );
      },
      Math.max(0, remaining),
    );
  }

  #startAlone(seat: Seat): void {
    const timers = this.#timersOf(seat);
    if (timers.alone !== null) this.#clock.clearTimeout(timers.alone);
    timers.alone = this.#clock.setTimeout(() => {
      timers.alone = null;
      void this.#expireAlone(seat.sessionId, seat.contextId).catch((e: unknown) => this.#internal(null, e));
    }, this.#limits.aloneMs);
  }

  #cancelAlone(sessionId: string): void {
    const timers = this.#timers.get(sessionId);
    if (timers?.alone != null) {
      this.#clock.clearTimeout(timers.alone);
      timers.alone = null;
    }
  }

  #startGrace(seat: Seat): void {
    const timers = this.#timersOf(seat);
    const previous = timers.grace[seat.place];
    if (previous !== null) this.#clock.clearTimeout(previous);
    timers.grace[seat.place] = this.#clock.setTimeout(() => {
      void this.#expireGrace(seat).catch((e: unknown) => this.#internal(null, e));
    }, this.#limits.graceMs);
  }

  #cancelGrace(sessionId: string, place: Place): void {
    const timers = this.#timers.get(sessionId);
    const handle = timers?.grace[place];
    if (timers !== undefined && handle != null) {
      this.#clock.clearTimeout(handle);
      timers.grace[place] = null;
    }
  }

  #timersOf(seat: Seat): SessionTimers {
    let timers = this.#timers.get(seat.sessionId);
    if (timers === undefined || timers.contextId !== seat.contextId) {
      if (timers !== undefined) this.#clearTimers(timers);
      timers = {
        contextId: seat.contextId,
        tag: this.#tag(seat.sessionId),
        alone: null,
        lifetime: null,
        grace: [null, null],
      };
      this.#timers.set(seat.sessionId, timers);
    }
    return timers;
  }

  #clearTimers(timers: SessionTimers): void {
    for (const handle of [timers.alone, timers.lifetime, ...timers.grace])
      if (handle !== null) this.#clock.clearTimeout(handle);
  }

  /** The context is gone: drop its timers and count it. */
  #forget(context: ContextRef, why: EndReason): void {
    const { sessionId } = context;
    const tag = this.#tagOf(sessionId);
    const timers = this.#timers.get(sessionId);
    if (timers !== undefined) this.#clearTimers(timers);
    this.#timers.delete(sessionId);
    this.#events.contextEnded(contextOf(context), why);
    this.#log.info({ session: tag, event: 'ended', reason: why });
  }

  /** The log tag of a session: cached while its context lives, computed otherwise. */
  #tagOf(sessionId: string): string {
    return this.#timers.get(sessionId)?.tag ?? this.#tag(sessionId);
  }

  #internal(conn: Connection | null, error: unknown): void {
    const target = conn !== null && conn.state !== 'closed' ? { link: conn.link, sessionId: conn.sessionId } : null;
    sendInternalError(this.#log, error, target);
  }
}

/** Only the context's ids, whatever else the seat carries. */
function contextOf({ sessionId, contextId }: ContextRef): ContextRef {
  return { sessionId, contextId };
}
