import {
  type ClientFrame,
  CloseCode,
  type Envelope,
  ErrorCode,
  HangupReason,
  type IceServer,
  type Limits,
  type RelayFrame,
  hangupFrame,
  parseBody,
  pongFrame,
  relayText,
} from '../../shared/protocol/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Connection, type PeerLink } from './connection.js';
import { LiveContexts } from './live-contexts.js';
import { applyRemoteEvent } from './remote-events.js';
import type { ResumeTokens } from './resume-token.js';
import { sendError, sendInternalError } from './send-error.js';
import { Handshake, tellPeer } from './handshake.js';
import {
  type ContextRef,
  combineObservers,
  contextOf,
  type EndReason,
  type SessionObserver,
} from './session-events.js';
import type { SessionPort } from './session-port.js';
import type { HeldPlace, Place, RelayResult, Seat, SessionRegistry } from './session-registry.js';

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
  readonly #connections = new Map<string, Connection>();
  readonly #contexts: LiveContexts;
  readonly #handshake: Handshake;
  /** The registry is shared with other nodes (it reports their changes). */
  readonly #shared: boolean;

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
    this.#shared = options.registry.subscribe !== undefined;
    this.#contexts = new LiveContexts({
      clock: options.clock,
      limits: options.limits,
      logger: options.logger,
      tagSession: options.tagSession,
      events: this.#events,
    });
    this.#handshake = new Handshake({
      ...options,
      contexts: this.#contexts,
      events: this.#events,
      connections: this.#connections,
      started: { wallMs: options.clock.wallNow(), monotonicMs: options.clock.now() },
      timers: {
        started: (seat) => this.#started(seat),
        admitted: (seat) => this.#armLifetime(seat),
        startAlone: (context) => this.#startAlone(context),
        startGrace: (held) => this.#startGrace(held),
      },
    });
    const remote = {
      connections: this.#connections,
      contexts: this.#contexts,
      metrics: this.#metrics,
      startAlone: (context: ContextRef) => this.#startAlone(context),
    };
    options.registry.subscribe?.((event) => applyRemoteEvent(event, remote));
  }

  open(link: PeerLink): Connection {
    const conn = new Connection(link);
    this.#connections.set(link.id, conn);
    return conn;
  }

  receive(conn: Connection, envelope: Envelope, bytes: number): void {
    conn.run(
      () => this.#handle(conn, envelope, bytes),
      (error) => this.#internal(conn, error),
    );
  }

  closed(conn: Connection, clean: boolean): void {
    conn.runAfter(
      () => this.#handleClose(conn, clean),
      (error) => this.#internal(conn, error),
    );
  }

  stop(): void {
    this.#contexts.stop();
  }

  /** Live contexts holding timers; none once every context has ended. */
  get timerCount(): number {
    return this.#contexts.size;
  }

  #handle(conn: Connection, envelope: Envelope, bytes: number): void | Promise<void> {
    const { seat } = conn;
    switch (conn.kind) {
      case 'new':
        // Rule 4: nothing but `join` before the handshake.
        if (envelope.type !== 'join') return this.#garbage(conn, ErrorCode.NOT_JOINED, null);
        break;
      case 'joined':
        if (seat === null) return;
        if (envelope.sessionId !== seat.sessionId) {
          // Rule 4: the id is checked before the body is looked at; nothing is relayed.
          return this.#garbage(conn, ErrorCode.SIGNAL_NOT_FOUND, seat.sessionId);
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
    if (frame.type === 'join') {
      return frame.resume === undefined
        ? this.#handshake.join(conn, frame.sessionId)
        : this.#handshake.resume(conn, frame.sessionId, frame.resume);
    }
    // Only a joined socket gets here: `new` accepts nothing but join.
    if (seat === null) return;
    switch (frame.type) {
      case 'offer':
      case 'answer':
      case 'candidate':
        return this.#relay(conn, seat, frame, bytes);
      case 'hangup':
        return this.#end(seat, 'hangup', frame.reason);
      case 'ping':
        return conn.link.send(pongFrame(frame.sessionId));
    }
  }

  /** Answers a frame that breaks a rule (rule 4, bad bodies), within the link's error budget. */
  #garbage(conn: Connection, code: ErrorCode, sessionId: string | null): void {
    sendError(conn.link, this.#log, { code, sessionId, throttled: true, event: 'bad-frame' });
  }

  #relay(conn: Connection, seat: Seat, frame: RelayFrame, bytes: number): void | Promise<void> {
    // The frame was rebuilt from validated fields: unknown fields never reach the peer.
    const text = relayText(frame);
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
        return sendError(conn.link, this.#contexts.logOf(seat.sessionId), {
          code: ErrorCode.QUEUE_FULL,
          sessionId: seat.sessionId,
          event: 'queue-full',
          detail: { frame: frame.type },
        });
      case 'stale':
        return this.#garbage(conn, ErrorCode.SIGNAL_NOT_FOUND, seat.sessionId);
    }
  }

  /** Rule 5 (and the alone and lifetime limits): relay, confirm, close both, forget at once. */
  async #end(context: ContextRef, why: EndReason, reason?: string): Promise<void> {
    const { sessionId, contextId } = context;
    const result = await this.#registry.end(sessionId, contextId, reason);
    // Already gone (ended on another node, say): only this node's timers of it remain.
    if (result.kind === 'stale') return this.#contexts.discard(context);
    this.#contexts.forget(context, why);
    const text = JSON.stringify(hangupFrame(sessionId, reason));
    for (const linkId of result.links) {
      const conn = this.#connections.get(linkId);
      if (conn === undefined) continue;
      conn.state = { kind: 'ended' };
      conn.deliver(text);
      conn.link.close(CloseCode.NORMAL, 'session ended');
    }
  }

  async #handleClose(conn: Connection, clean: boolean): Promise<void> {
    this.#connections.delete(conn.link.id);
    const { seat } = conn;
    conn.state = { kind: 'closed' };
    if (seat === null) return;
    // Rule 6: a clean close frees the place at once; a drop holds it for the grace period.
    const result = await this.#registry.leave(seat, clean ? 'free' : 'hold', this.#clock.wallNow());
    if (result.kind === 'stale') return;
    this.#contexts.logOf(seat.sessionId).info({ event: clean ? 'left' : 'away', place: seat.place });
    if (result.kind === 'held') this.#events.placeHeld(contextOf(seat), seat.place);
    else this.#events.placeFreed(contextOf(seat), seat.place);
    if (result.dropped) return this.#contexts.forget(seat, 'left');
    if (result.kind === 'held') this.#startGrace(seat);
    // Several nodes: with no socket of the context left here, the alone timeout is the business of
    // the node where its participant comes back (it restarts it there); this one would fire stale.
    if (result.otherLink === null && this.#shared) this.#contexts.currentTimers(seat.sessionId)?.cancelAlone();
    if (result.otherLink !== null) {
      tellPeer(this.#connections, result.otherLink, seat.sessionId, clean ? 'left' : 'away');
      if (clean) this.#startAlone(seat);
    }
  }

  async #expireGrace(held: HeldPlace): Promise<void> {
    const result = await this.#registry.expire(held);
    if (result.kind === 'stale') return;
    this.#contexts.logOf(held.sessionId).info({ event: 'grace-expired', place: held.place });
    this.#events.placeFreed(contextOf(held), held.place);
    if (result.dropped) return this.#contexts.forget(held, 'left');
    if (result.otherLink !== null) {
      tellPeer(this.#connections, result.otherLink, held.sessionId, 'left');
      this.#startAlone(held);
    }
  }

  async #expireAlone(context: ContextRef): Promise<void> {
    const view = await this.#registry.peek(context.sessionId);
    if (view === null || view.contextId !== context.contextId || !view.places.includes('free')) return;
    this.#contexts.logOf(context.sessionId).info({ event: 'alone-timeout' });
    await this.#end(context, 'timeout', HangupReason.TIMEOUT);
  }

  // Timers: each runs its step as a task of its own; a failure there is a bug, logged.

  #started(seat: Seat): void {
    this.#contexts.started(contextOf(seat));
    this.#armLifetime(seat);
  }

  /** The lifetime cap, once per context on every node with a participant. */
  #armLifetime(seat: Seat): void {
    const timers = this.#contexts.timersOf(seat);
    if (timers.hasLifetime) return;
    const remaining = seat.createdAt + this.#limits.sessionLifetimeMs - this.#clock.wallNow();
    timers.startLifetime(remaining, this.#lifetimeReached);
  }

  // One function each for every context's lifetime cap and alone timeout (no closure per context).
  readonly #lifetimeReached = (context: ContextRef): void => {
    this.#contexts.logOf(context.sessionId).info({ event: 'lifetime-reached' });
    this.#background(this.#end(context, 'lifetime', HangupReason.LIFETIME));
  };

  readonly #aloneExpired = (context: ContextRef): void => this.#background(this.#expireAlone(context));

  #startAlone(context: ContextRef): void {
    this.#contexts.timersOf(context).startAlone(this.#aloneExpired);
  }

  #startGrace(held: HeldPlace): void {
    const { occupant, gen } = held;
    const place: HeldPlace = {
      ...contextOf(held),
      place: held.place,
      occupant,
      ...(occupant !== null && gen !== undefined ? { gen } : {}),
    };
    this.#contexts.timersOf(place).startGrace(place.place, () => this.#background(this.#expireGrace(place)));
  }

  #background(step: Promise<void>): void {
    void step.catch((error: unknown) => this.#internal(null, error));
  }

  #internal(conn: Connection | null, error: unknown): void {
    const target = conn !== null && conn.kind !== 'closed' ? { link: conn.link, sessionId: conn.sessionId } : null;
    sendInternalError(this.#log, error, target);
  }
}
