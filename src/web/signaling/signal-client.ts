import {
  type ClientFrame,
  CloseCode,
  type ErrorFrame,
  type JoinedFrame,
  type ServerFrame,
  joinFrame,
  parseServerFrame,
  pingFrame,
} from '../../shared/protocol/index.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { ReconnectPolicy } from '../core/reconnect-policy.js';
import { AnswerDeadline } from './answer-deadline.js';
import { SocketProbe } from './socket-probe.js';

/** The part of the browser's WebSocket this client uses, so tests can hand it a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Where the resume token lives between reconnects and page reloads (sessionStorage in the app). */
export interface TokenStore {
  load(): string | null;
  save(token: string): void;
  clear(): void;
}

export type SignalEvent =
  | { type: 'status'; status: 'connecting' | 'offline' }
  /**
   * `afterLoss`: the joined socket before this one was lost, not closed: it stopped answering
   * (given up for silence) or dropped without a close frame (1006). Those are the marks of a
   * changed network (a new public address), which the media path has most likely not survived.
   */
  | { type: 'joined'; frame: JoinedFrame; resumed: boolean; afterLoss: boolean }
  | { type: 'frame'; frame: Exclude<ServerFrame, JoinedFrame | ErrorFrame> }
  | { type: 'error'; frame: ErrorFrame; duringJoin: boolean; resumed: boolean };

export interface SignalClientOptions {
  url: string;
  sessionId: string;
  createSocket: (url: string) => SocketLike;
  clock: Clock;
  policy: ReconnectPolicy;
  tokens: TokenStore;
  /** How often a joined client checks the server is still there (browsers cannot see WS pings). */
  pingIntervalMs?: number;
  /** No frame this long after a ping: a probe socket is opened (adaptive, see AnswerDeadline). */
  pongTimeoutMs?: number;
  /** The longest the pong deadline grows to for a server that keeps answering late. */
  maxPongTimeoutMs?: number;
  /** From creating a socket to `joined`. */
  joinTimeoutMs?: number;
}

/**
 * Liveness, sized for a network change mid-call (docs/protocol.md, "Liveness"): when a phone
 * moves to another network its WebSocket is not closed, its packets just stop arriving, and only
 * our own ping tells. A ping every 2 s with a 2 s deadline notices within 4 s of the last answer.
 * A missed deadline only opens a probe socket beside the old one, so a server that is busy for a
 * few seconds (and answers the old socket first) costs one unused connection, not a resume.
 */
export const PING_INTERVAL_MS = 2_000;
export const PONG_TIMEOUT_MS = 2_000;
export const MAX_PONG_TIMEOUT_MS = 16_000;
export const JOIN_TIMEOUT_MS = 10_000;
/** Our own close code for a socket we gave up on: not 1000/1001, so the server holds our place. */
export const CLOSE_LIVENESS = CloseCode.CLIENT_LIVENESS;
const OPEN = 1;
/** What a browser reports for a socket that went without a close frame. */
const CLOSE_ABNORMAL = 1006;

/**
 * The signalling transport: one WebSocket at a time to `/signal`, joined to one session,
 * reconnecting with jittered backoff and resuming its place with the last token.
 */
export class SignalClient {
  readonly #o: Required<SignalClientOptions>;
  #socket: SocketLike | null = null;
  #joined = false;
  #sentResume = false;
  /** The last joined socket was lost, not closed (reported with the next `joined`). */
  #lostUnclosed = false;
  #stopped = true;
  #attempt = 0;
  #retryTimer: TimerHandle | null = null;
  #pingTimer: TimerHandle | null = null;
  #deadline: TimerHandle | null = null;
  #joinTimer: TimerHandle | null = null;
  /** A second socket opened because the joined one missed its deadline (see #probeFor). */
  #probe: SocketProbe | null = null;
  /** When the ping went out whose deadline is pending. */
  #pingSentAt: number | null = null;
  readonly #answer: AnswerDeadline;
  #listeners = new Set<(e: SignalEvent) => void>();

  constructor(options: SignalClientOptions) {
    this.#o = {
      pingIntervalMs: PING_INTERVAL_MS,
      pongTimeoutMs: PONG_TIMEOUT_MS,
      joinTimeoutMs: JOIN_TIMEOUT_MS,
      maxPongTimeoutMs: MAX_PONG_TIMEOUT_MS,
      ...options,
    };
    this.#answer = new AnswerDeadline({ baseMs: this.#o.pongTimeoutMs, maxMs: this.#o.maxPongTimeoutMs });
  }

  /** Subscribes to transport events; returns the unsubscribe function. */
  onEvent(cb: (e: SignalEvent) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Sends a frame if joined; returns false otherwise (the caller replays after the rejoin). */
  send(frame: ClientFrame): boolean {
    const s = this.#socket;
    if (!this.#joined || !s || s.readyState !== OPEN) return false;
    s.send(JSON.stringify(frame));
    return true;
  }

  /** Leaves for good: a clean close, so the server frees the place at once. */
  close(): void {
    this.#stopped = true;
    this.#clearTimers();
    const s = this.#detach();
    s?.close(1000, 'bye');
  }

  /** Drops the token and takes a place anew (the server no longer knows the token). */
  rejoinFresh(): void {
    this.#o.tokens.clear();
    if (this.#stopped) return;
    this.#clearTimers();
    this.#detach()?.close(1000, 'rejoin');
    this.#connect();
  }

  /** The network came back or the page became visible: check now instead of waiting. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#joined) {
      this.#ping();
    } else if (this.#retryTimer !== null) {
      this.#o.clock.clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#connect();
    }
  }

  #emit(e: SignalEvent): void {
    for (const cb of [...this.#listeners]) cb(e);
  }

  /** Joins on a new socket, or on `existing` (a probe, open or still opening). */
  #connect(existing?: SocketLike): void {
    this.#emit({ type: 'status', status: 'connecting' });
    const socket = existing ?? this.#o.createSocket(this.#o.url);
    this.#socket = socket;
    this.#joined = false;
    // Handlers go on before anything else can happen; events from an older socket are ignored.
    socket.onopen = () => {
      if (this.#socket === socket) this.#sendJoin(socket);
    };
    socket.onmessage = (ev) => {
      if (this.#socket === socket) this.#handleMessage(ev.data);
    };
    socket.onclose = (ev) => {
      if (this.#socket !== socket) return;
      if (this.#joined && ev.code === CLOSE_ABNORMAL) this.#lostUnclosed = true;
      this.#lost();
    };
    socket.onerror = () => {
      // A close event always follows; nothing to do here.
    };
    this.#joinTimer = this.#o.clock.setTimeout(() => {
      this.#joinTimer = null;
      if (this.#socket === socket && !this.#joined) this.#giveUpOn(socket);
    }, this.#o.joinTimeoutMs);
    if (socket.readyState === OPEN) this.#sendJoin(socket);
  }

  #sendJoin(socket: SocketLike): void {
    const token = this.#o.tokens.load();
    this.#sentResume = token !== null;
    socket.send(JSON.stringify(joinFrame(this.#o.sessionId, token ?? undefined)));
  }

  #handleMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    const parsed = parseServerFrame(data);
    if (!parsed.ok) return;
    const frame = parsed.value;
    if (frame.sessionId !== null && frame.sessionId !== this.#o.sessionId) return;
    // Any frame proves the server is alive.
    this.#sawAnswer();
    switch (frame.type) {
      case 'joined': {
        this.#joined = true;
        this.#attempt = 0;
        if (this.#joinTimer !== null) this.#o.clock.clearTimeout(this.#joinTimer);
        this.#joinTimer = null;
        this.#o.tokens.save(frame.resume);
        this.#schedulePing();
        const afterLoss = this.#lostUnclosed;
        this.#lostUnclosed = false;
        this.#emit({ type: 'joined', frame, resumed: this.#sentResume, afterLoss });
        return;
      }
      case 'error':
        this.#emit({ type: 'error', frame, duringJoin: !this.#joined, resumed: this.#sentResume });
        return;
      case 'pong':
        return;
      default:
        this.#emit({ type: 'frame', frame });
    }
  }

  #schedulePing(): void {
    if (this.#pingTimer !== null) this.#o.clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = this.#o.clock.setTimeout(() => {
      this.#pingTimer = null;
      this.#ping();
    }, this.#o.pingIntervalMs);
  }

  #ping(): void {
    const socket = this.#socket;
    if (!socket || !this.#joined) return;
    if (socket.readyState === OPEN) socket.send(JSON.stringify(pingFrame(this.#o.sessionId)));
    if (this.#deadline === null && this.#probe === null) {
      this.#pingSentAt = this.#o.clock.now();
      this.#deadline = this.#o.clock.setTimeout(() => {
        this.#deadline = null;
        if (this.#socket === socket) this.#probeFor(socket);
      }, this.#answer.ms);
    }
    this.#schedulePing();
  }

  #sawAnswer(): void {
    if (this.#pingSentAt !== null) this.#answer.answered(this.#o.clock.now() - this.#pingSentAt);
    this.#pingSentAt = null;
    if (this.#deadline !== null) this.#o.clock.clearTimeout(this.#deadline);
    this.#deadline = null;
    if (this.#probe !== null) {
      // The old socket answered before the probe opened: the server was busy, not gone. Keep
      // the old socket (no resume, no ICE restart) and wait longer next time.
      this.#takeProbe()?.close(1000, 'not needed');
      this.#answer.answeredLate();
    }
  }

  /**
   * The joined socket missed its deadline. It is not dropped yet: a second socket is opened
   * beside it. Whichever answers first wins. The old one (a pong) means the server was only
   * busy: the probe is closed before it joins. The probe (open) means the old socket is dead (a
   * changed network): the old one is given up and the probe joins in its place at once. A probe
   * that fails or never opens means the network is gone: the old one is given up too.
   */
  #probeFor(old: SocketLike): void {
    if (this.#probe !== null) return;
    const probe = new SocketProbe({
      url: this.#o.url,
      createSocket: this.#o.createSocket,
      clock: this.#o.clock,
      timeoutMs: this.#o.joinTimeoutMs,
      // #lost() takes the open probe over as the next socket.
      onOpen: () => this.#probe === probe && this.#socket === old && this.#giveUpOn(old),
      onFail: () => {
        if (this.#probe !== probe) return;
        this.#probe = null;
        if (this.#socket === old) this.#giveUpOn(old);
      },
    });
    this.#probe = probe;
  }

  /** The pending probe's socket, no longer watched (to close it, or to join on it). */
  #takeProbe(): SocketLike | null {
    const probe = this.#probe;
    this.#probe = null;
    return probe?.take() ?? null;
  }

  /** A socket that stopped answering: close it without waiting (a dead network delays `close`). */
  #giveUpOn(socket: SocketLike): void {
    if (this.#joined) this.#lostUnclosed = true;
    this.#detach();
    try {
      socket.close(CLOSE_LIVENESS, 'no answer');
    } catch {
      // Already closed.
    }
    this.#lost();
  }

  #lost(): void {
    const probe = this.#takeProbe();
    this.#clearTimers();
    this.#detach();
    if (this.#stopped) {
      probe?.close(1000, 'bye');
      return;
    }
    this.#emit({ type: 'status', status: 'offline' });
    if (probe) {
      // Already on its way (or open): no backoff, it joins in the old socket's place.
      this.#connect(probe);
      return;
    }
    const delay = this.#o.policy.delay(this.#attempt++);
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  #detach(): SocketLike | null {
    const s = this.#socket;
    this.#socket = null;
    this.#joined = false;
    if (s) {
      s.onopen = null;
      s.onmessage = null;
      s.onclose = null;
      s.onerror = null;
    }
    return s;
  }

  #clearTimers(): void {
    this.#takeProbe()?.close(1000, 'bye');
    this.#pingSentAt = null;
    for (const t of [this.#retryTimer, this.#pingTimer, this.#deadline, this.#joinTimer]) {
      if (t !== null) this.#o.clock.clearTimeout(t);
    }
    this.#retryTimer = this.#pingTimer = this.#deadline = this.#joinTimer = null;
  }
}
