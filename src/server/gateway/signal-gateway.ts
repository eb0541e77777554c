import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { type ServerOptions, WebSocket, WebSocketServer } from 'ws';
import { CloseCode, ErrorCode, type Limits, readEnvelope } from '../../shared/protocol/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import { DeadlineQueue } from '../deadline-queue.js';
import { refuseRaw } from '../http/raw-refusal.js';
import { ignoreErrorsOf } from '../http/socket-errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { sendError } from '../sessions/send-error.js';
import type { SessionHandle, SessionPort } from '../sessions/session-port.js';
import { type Beating, Heartbeat } from './heartbeat.js';
import { RateLimiter, type RateLimits } from './rate-limiter.js';
import { type UpgradePolicy, vetUpgrade } from './upgrade-policy.js';
import { WsPeerLink, type WsPeerLinkOptions } from './ws-peer-link.js';

export interface SignalGatewayOptions {
  limits: Limits;
  logger: Logger;
  metrics: Metrics;
  /** The session layer, built by the composition root (app.ts). */
  sessions: SessionPort;
  trustProxy: boolean;
  allowedOrigins: readonly string[];
  clock: Clock;
}

/**
 * One socket as the gateway tracks it: everything the shared handlers need, on one record. It
 * is its own rate limiter (the class it extends), so a socket's limits are fields of this one
 * object, and every number in it is a small integer (no boxed heap number per socket).
 */
class SocketState extends RateLimiter implements Beating {
  alive = true;
  /** Whole ms (rounded down: a drop never comes later than it would). */
  lastSeen: number;
  heartbeatBucket = -1;

  constructor(
    readonly ws: WebSocket,
    readonly link: WsPeerLink,
    readonly conn: SessionHandle,
    readonly address: string,
    limits: RateLimits,
    now: number,
  ) {
    super(limits, now);
    this.lastSeen = Math.floor(now);
  }

  ping(): void {
    this.ws.ping();
  }

  drop(): void {
    this.ws.terminate();
  }
}

/** Where a socket's record hangs on its WebSocket, for the handlers every socket shares. */
const STATE = Symbol('homecall.socket');
type TrackedSocket = WebSocket & { [STATE]: SocketState };
const stateOf = (ws: WebSocket) => (ws as TrackedSocket)[STATE];

/** ws keeps at most this many chunks of one message (bounds CVE-2026-48779 style floods). */
const MAX_BUFFERED_CHUNKS = 1024;
/** After SIGTERM, sockets that have not finished their close handshake are cut after this. */
const SHUTDOWN_DRAIN_MS = 2000;

/**
 * The `/signal` transport: vets upgrades (TLS only, Origin, capacity), turns bytes into
 * envelopes for the session layer, and enforces size, rate, liveness and backpressure.
 */
export class SignalGateway {
  readonly #options: SignalGatewayOptions;
  readonly #limits: Limits;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #sessions: SessionPort;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<SocketState>();
  readonly #perAddress = new Map<string, number>();
  readonly #policy: UpgradePolicy;
  readonly #heartbeat: Heartbeat<SocketState>;
  #nextLinkId = 0;
  /** The rate limits and link options every socket shares (one object each, not one per socket). */
  readonly #rateLimits: RateLimits;
  readonly #linkOptions: WsPeerLinkOptions;
  #shuttingDown = false;
  /** Open sockets not yet past their join timeout: one timer for all, not one per socket. */
  readonly #joinTimeouts: DeadlineQueue<SocketState>;
  // One set of handlers for every socket (no closures per socket): `this` is the WebSocket, and
  // the gateway is the one they were made by (a socket's record does not point back to it).
  readonly #onError: (this: WebSocket, error: Error) => void;
  readonly #onMessage: (this: WebSocket, data: Buffer, isBinary: boolean) => void;
  readonly #onPong = function (this: WebSocket) {
    stateOf(this).alive = true;
  };
  readonly #onClose: (this: WebSocket, code: number) => void;

  constructor(options: SignalGatewayOptions) {
    const gateway = this;
    this.#onError = function (this: WebSocket, error: Error) {
      gateway.#log.debug({ event: 'socket-error', code: (error as { code?: string }).code });
    };
    this.#onMessage = function (this: WebSocket, data: Buffer, isBinary: boolean) {
      gateway.#handleMessage(stateOf(this), data, isBinary);
    };
    this.#onClose = function (this: WebSocket, code: number) {
      gateway.#handleClose(stateOf(this), code);
    };
    this.#options = options;
    this.#limits = options.limits;
    this.#log = options.logger;
    this.#clock = options.clock;
    this.#sessions = options.sessions;
    this.#rateLimits = {
      burstFrames: options.limits.rateBurstFrames,
      burstBytes: options.limits.rateBurstBytes,
      framesPerSec: options.limits.rateFramesPerSec,
      bytesPerSec: options.limits.rateBytesPerSec,
    };
    this.#linkOptions = {
      maxBacklogBytes: options.limits.maxBacklogBytes,
      clock: options.clock,
      metrics: options.metrics,
    };
    this.#policy = {
      trustProxy: options.trustProxy,
      allowedOrigins: new Set(options.allowedOrigins),
      maxSockets: options.limits.maxSockets,
      socketsPerAddress: options.limits.socketsPerAddress,
    };
    // `closeTimeout` (ws >= 8.22) is missing from @types/ws: the close handshake waits 5 s, not 30.
    const serverOptions: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      // Frames a little over the limit still arrive, so they can be answered with TOO_LARGE
      // before the close; anything bigger is cut by ws itself with 1009.
      maxPayload: options.limits.maxFrameBytes * 2,
      maxFragments: options.limits.maxFragments,
      maxBufferedChunks: MAX_BUFFERED_CHUNKS,
      closeTimeout: 5000,
    };
    this.#wss = new WebSocketServer(serverOptions);
    this.#joinTimeouts = new DeadlineQueue({
      clock: this.#clock,
      delayMs: options.limits.joinTimeoutMs,
      expire: (state) => this.#joinTimedOut(state),
    });
    this.#heartbeat = new Heartbeat<SocketState>({
      intervalMs: options.limits.pingIntervalMs,
      dropAfterMs: options.limits.dropAfterMs,
      clock: this.#clock,
    });
  }

  /** Vets an HTTP upgrade to /signal and, if it passes, opens the WebSocket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const peer = req.socket;
    const verdict = vetUpgrade(
      {
        url: req.url,
        encrypted: (peer as TLSSocket).encrypted === true,
        headers: req.headers,
        // Read only when needed (a getpeername system call): behind a trusted proxy the
        // address is the hop the proxy appended to X-Forwarded-For.
        get remoteAddress() {
          return peer.remoteAddress;
        },
      },
      this.#policy,
      {
        shuttingDown: this.#shuttingDown,
        sockets: this.#sockets.size,
        socketsOf: (address) => this.#perAddress.get(address) ?? 0,
      },
    );
    if (!verdict.ok) return this.#refuse(socket, verdict.error);
    const { address } = verdict.value;
    // Reserve the address slot now: many upgrades may be in flight at once. If ws refuses the
    // handshake itself (bad key or version), the slot is given back when the socket closes.
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    // The plain port's connection handler gave the socket this listener already (one is enough).
    ignoreErrorsOf(socket);
    const giveBack = () => this.#release(address);
    let handedOver = false;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      handedOver = true;
      // From here the socket's record gives the slot back (#handleClose); a no-op when the
      // listener below was never added.
      socket.off('close', giveBack);
      this.#accept(ws, socket, address);
    });
    // ws hands an accepted socket over before handleUpgrade returns; one it refused (or, were
    // it ever to answer later, one still in its hands) gives the slot back when it closes. A
    // socket cannot have emitted 'close' yet (Node emits it on a later tick), so none is missed,
    // and an accepted socket keeps no 'close' listener of the upgrade (no listener-array growth).
    if (!handedOver) socket.once('close', giveBack);
  }

  #release(address: string): void {
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
  }

  /** Refuses new upgrades and closes every socket with 1012; resolves when all are closed. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#heartbeat.stop();
    this.#joinTimeouts.stop();
    const closed = [...this.#sockets].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.ws.once('close', () => resolve());
          s.ws.close(CloseCode.SERVICE_RESTART, 'server restarting');
        }),
    );
    const drained = Promise.all(closed).then(() => true);
    let timer: TimerHandle | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve(false), SHUTDOWN_DRAIN_MS);
    });
    if (!(await Promise.race([drained, timeout]))) for (const s of this.#sockets) s.ws.terminate();
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#sessions.stop();
    this.#wss.close();
  }

  #refuse(socket: Duplex, status: number): void {
    this.#options.metrics.upgradeRefused(status);
    this.#log.debug({ event: 'upgrade-refused', status });
    refuseRaw(socket, status, STATUS_CODES[status] ?? 'Error', this.#clock);
  }

  #accept(ws: WebSocket, socket: Duplex, address: string): void {
    const metrics = this.#options.metrics;
    const link = new WsPeerLink(String(++this.#nextLinkId), ws, socket, this.#linkOptions);
    const conn = this.#sessions.open(link);
    const state = new SocketState(ws, link, conn, address, this.#rateLimits, this.#clock.now());
    (ws as TrackedSocket)[STATE] = state;
    // Listeners first: an error on a socket that is about to be refused must not crash us.
    ws.on('error', this.#onError);
    ws.on('message', this.#onMessage);
    ws.on('pong', this.#onPong);
    ws.on('close', this.#onClose);
    this.#sockets.add(state);
    this.#heartbeat.add(state);
    metrics.socketOpened();
    this.#joinTimeouts.add(state);
    if (this.#shuttingDown) link.close(CloseCode.SERVICE_RESTART, 'server restarting');
  }

  #joinTimedOut(state: SocketState): void {
    // A join already received but still in the registry must not race the timeout.
    void state.conn.settled().then(() => {
      if (state.conn.isJoined) return;
      sendError(state.link, this.#log, {
        code: ErrorCode.NOT_JOINED,
        sessionId: null,
        closeReason: 'join timeout',
        event: 'join-timeout',
      });
    });
  }

  #handleMessage(state: SocketState, data: Buffer, isBinary: boolean): void {
    // Once the server has begun closing a socket (refusal, timeout, hangup), what still
    // arrives on it is not acted on.
    if (state.ws.readyState !== WebSocket.OPEN) return;
    state.alive = true;
    const { link } = state;
    if (isBinary) {
      return sendError(link, this.#log, {
        code: ErrorCode.BAD_MESSAGE,
        sessionId: null,
        closeReason: 'binary frames are not supported',
        event: 'binary-frame',
      });
    }
    const bytes = data.length;
    if (bytes > this.#limits.maxFrameBytes) {
      return sendError(link, this.#log, {
        code: ErrorCode.TOO_LARGE,
        sessionId: null,
        closeReason: 'frame too large',
        event: 'too-large',
      });
    }
    const verdict = state.take(bytes, this.#clock.now());
    if (verdict !== 'pass') return this.#rateLimited(state, verdict === 'abuse');
    const envelope = readEnvelope(data.toString('utf8'));
    if (!envelope.ok) {
      return sendError(link, this.#log, {
        code: envelope.error.code,
        sessionId: null,
        throttled: true,
        event: 'bad-frame',
      });
    }
    this.#sessions.receive(state.conn, envelope.value, bytes);
  }

  #rateLimited(state: SocketState, abuse: boolean): void {
    const { link } = state;
    const sessionId = state.conn.sessionId;
    if (abuse) {
      return sendError(link, this.#log, {
        code: ErrorCode.RATE_LIMITED,
        sessionId,
        closeReason: 'rate limit',
        event: 'rate-abuse',
      });
    }
    // The dropped frame is answered, at most once per second (protocol.md limits).
    if (link.mayReportRateLimit(this.#clock.now())) {
      sendError(link, this.#log, { code: ErrorCode.RATE_LIMITED, sessionId, event: 'rate-limited' });
    }
  }

  #handleClose(state: SocketState, code: number): void {
    if (!this.#sockets.delete(state)) return;
    this.#heartbeat.delete(state);
    this.#options.metrics.socketClosed();
    this.#joinTimeouts.delete(state);
    this.#release(state.address);
    // Rule 6: only a close frame with 1000/1001 is a deliberate leave; anything else is a drop.
    const clean = code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY;
    this.#sessions.closed(state.conn, clean);
  }
}
