import {
  CloseCode,
  ErrorCode,
  type IceServer,
  type Limits,
  type PeerState,
  joinedFrame,
  peerFrame,
} from '../../shared/protocol/index.js';
import type { Clock } from '../clock.js';
import type { Connection } from './connection.js';
import type { LiveContexts } from './live-contexts.js';
import type { IceSeat } from './session-service.js';
import type { ResumeTokens } from './resume-token.js';
import { sendError } from './send-error.js';
import { type ContextRef, contextOf, type SessionObserver } from './session-events.js';
import { type Admission, type HeldPlace, type Seat, type SessionRegistry, otherPlace } from './session-registry.js';

/** The timers a handshake starts; the service owns what they do when they fire. */
export interface HandshakeTimers {
  /** A context was created or restored: report it and start its lifetime cap. */
  started(seat: Seat): void;
  /** A socket took a place here: the lifetime cap runs on this node too (its creator may be another). */
  admitted(seat: Seat): void;
  startAlone(context: ContextRef): void;
  startGrace(held: HeldPlace): void;
}

export interface HandshakeOptions {
  registry: SessionRegistry;
  tokens: ResumeTokens;
  limits: Limits;
  clock: Clock;
  iceServers: (seat: IceSeat) => IceServer[];
  contexts: LiveContexts;
  events: Required<SessionObserver>;
  /** The session layer's sockets by link id: the other participant, a replaced socket. */
  connections: ReadonlyMap<string, Connection>;
  /**
   * When this node started: tokens issued before it (wall clock, since they come from an earlier
   * process) may restore a lost context (rule 7) within the grace period after it (monotonic).
   */
  started: { wallMs: number; monotonicMs: number };
  timers: HandshakeTimers;
}

/** Sends `peer` `state` to the socket of `linkId`, if it is still here. */
export function tellPeer(
  connections: ReadonlyMap<string, Connection>,
  linkId: string | null,
  sessionId: string,
  state: PeerState,
): void {
  if (linkId === null) return;
  connections.get(linkId)?.deliver(JSON.stringify(peerFrame(sessionId, state)));
}

/**
 * The handshake (rules 1, 2 and 7): admits a socket to a place, or refuses it, and tells the
 * other participant. Everything after `joined` is the service's.
 */
export class Handshake {
  readonly #o: HandshakeOptions;

  constructor(options: HandshakeOptions) {
    this.#o = options;
  }

  /** Rule 1: a join without a token. */
  async join(conn: Connection, sessionId: string): Promise<void> {
    const result = await this.#o.registry.join(sessionId, conn.link.id, this.#o.clock.wallNow());
    if (result.kind !== 'admitted') return this.#refuseJoin(conn, sessionId, result.kind);
    const { admission, tookOver } = result;
    const seat = admission.seat;
    if (admission.created) this.#o.timers.started(seat);
    if (tookOver) this.#o.contexts.currentTimers(sessionId)?.cancelGrace(seat.place);
    const event = admission.created ? 'created' : 'joined';
    this.#o.contexts.logOf(sessionId).info({ event, place: seat.place, tookOver });
    this.#admit(conn, admission, admission.other === 'held' ? 'away' : null);
    this.#notifyOther(admission, 'joined');
  }

  /** Rules 2 and 7: a join with a resume token. */
  async resume(conn: Connection, sessionId: string, token: string): Promise<void> {
    const claims = this.#o.tokens.verify(token);
    // A token never opens another session than the one it was issued for.
    if (claims === null || claims.sessionId !== sessionId) return this.#refuseResume(conn, sessionId);
    const now = this.#o.clock.wallNow();
    // Rule 7. A restart counts as a drop of everyone: a context lost with the process may be
    // restored from a token issued before it, within the grace period after the start. An
    // in-memory node keeps nothing on disk, so it cannot tell a context lost in the restart
    // from one ended by hangup just before it; the window keeps that ambiguity short.
    const { started } = this.#o;
    const mayRestore =
      claims.issuedAt < started.wallMs &&
      this.#o.clock.now() - started.monotonicMs <= this.#o.limits.graceMs &&
      now - claims.createdAt < this.#o.limits.sessionLifetimeMs;
    const result = await this.#o.registry.resume(claims, conn.link.id, { now, mayRestore });
    if (result.kind === 'stale') return this.#refuseResume(conn, sessionId);
    if (result.kind !== 'resumed') return this.#refuseJoin(conn, sessionId, result.kind);
    const { admission, replacedLink, restored, rejoined, otherChanged } = result;
    const seat = admission.seat;
    if (replacedLink !== null) this.#replace(replacedLink);
    this.#o.contexts.currentTimers(sessionId)?.cancelGrace(seat.place);
    if (restored) {
      this.#o.timers.started(seat);
      // The other place waits for its own participant, within the grace period.
      this.#o.timers.startGrace({ ...seat, place: otherPlace(seat.place), occupant: null });
    }
    const event = restored ? 'restored' : rejoined ? 'joined' : 'resumed';
    this.#o.contexts.logOf(sessionId).info({ event, place: seat.place });
    this.#admit(conn, admission, otherChanged ? 'joined' : admission.other === 'held' ? 'away' : null);
    this.#notifyOther(admission, rejoined ? 'joined' : 'back');
  }

  /** Replies `joined`, tells the newcomer about its peer, then delivers its queue in order. */
  #admit(conn: Connection, admission: Admission, peerNotice: PeerState | null): void {
    const { seat, other, queued } = admission;
    this.#o.events.placeAttached(contextOf(seat), seat.place);
    conn.state = { kind: 'joined', seat };
    const expiresAtMs = seat.createdAt + this.#o.limits.sessionLifetimeMs;
    const token = this.#o.tokens.sign({ ...seat, issuedAt: this.#o.clock.wallNow() });
    const iceServers = this.#o.iceServers({ contextId: seat.contextId, place: seat.place, expiresAtMs });
    conn.link.send(joinedFrame(seat.sessionId, other !== 'free', token, iceServers));
    if (peerNotice !== null) conn.link.send(peerFrame(seat.sessionId, peerNotice));
    for (const text of queued) conn.link.sendText(text);
    conn.open();
    this.#o.timers.admitted(seat);
    if (other === 'free') this.#o.timers.startAlone(seat);
    else this.#o.contexts.currentTimers(seat.sessionId)?.cancelAlone();
  }

  #notifyOther(admission: Admission, state: PeerState): void {
    tellPeer(this.#o.connections, admission.otherLink, admission.seat.sessionId, state);
  }

  #refuseJoin(conn: Connection, sessionId: string, kind: 'full' | 'busy' | 'ended'): void {
    const code =
      kind === 'full' ? ErrorCode.SESSION_FULL : kind === 'busy' ? ErrorCode.SERVER_BUSY : ErrorCode.SESSION_ENDED;
    conn.state = { kind: 'closed' };
    sendError(conn.link, this.#o.contexts.logOf(sessionId), { code, sessionId, closeReason: code, event: 'refused' });
  }

  /** A token that opens nothing (forged, of another session, or of an earlier generation). */
  #refuseResume(conn: Connection, sessionId: string): void {
    sendError(conn.link, this.#o.contexts.logOf(sessionId), {
      code: ErrorCode.SIGNAL_NOT_FOUND,
      sessionId,
      throttled: true,
      event: 'resume-refused',
    });
  }

  /** Rule 2 / R4: a half-open socket that still held the place is superseded and closed. */
  #replace(linkId: string): void {
    const old = this.#o.connections.get(linkId);
    if (old === undefined) return;
    old.state = { kind: 'replaced' };
    old.link.close(CloseCode.POLICY_VIOLATION, 'replaced by a newer connection');
  }
}
