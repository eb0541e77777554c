/** Protocol limits (protocol.md, "Limits"). Each one is configurable on the server. */
export interface Limits {
  /** Largest accepted frame, bytes (ws `maxPayload`). */
  readonly maxFrameBytes: number;
  /** Fragments per frame (ws `maxFragments`). */
  readonly maxFragments: number;
  /** TLS handshake timeout, ms. */
  readonly tlsHandshakeMs: number;
  /** HTTP headers timeout, ms. */
  readonly headersTimeoutMs: number;
  /** From upgrade to the first valid `join`, ms. */
  readonly joinTimeoutMs: number;
  /** Server WebSocket ping interval, ms. */
  readonly pingIntervalMs: number;
  /** A socket with no pong or frame for this long is dropped, ms. */
  readonly dropAfterMs: number;
  /** How long a dropped participant's place is held, ms. */
  readonly graceMs: number;
  /** Frames queued for an absent place. */
  readonly queueFrames: number;
  /** Bytes queued for an absent place. */
  readonly queueBytes: number;
  /** Rate limiter: burst size in frames and bytes. */
  readonly rateBurstFrames: number;
  readonly rateBurstBytes: number;
  /** Rate limiter: sustained refill per second in frames and bytes. */
  readonly rateFramesPerSec: number;
  readonly rateBytesPerSec: number;
  /** Outbound backlog after which a socket is dropped, bytes. */
  readonly maxBacklogBytes: number;
  /** A participant alone in a session this long is sent home, ms. */
  readonly aloneMs: number;
  /** Hard cap on a session's life, ms. */
  readonly sessionLifetimeMs: number;
  /** Sockets per client address. */
  readonly socketsPerAddress: number;
  /** Node capacity: concurrent sockets and concurrent sessions. */
  readonly maxSockets: number;
  readonly maxSessions: number;
}

const KiB = 1024;
const SECOND = 1000;

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFrameBytes: 64 * KiB,
  maxFragments: 64,
  tlsHandshakeMs: 10 * SECOND,
  headersTimeoutMs: 10 * SECOND,
  joinTimeoutMs: 10 * SECOND,
  pingIntervalMs: 15 * SECOND,
  dropAfterMs: 30 * SECOND,
  graceMs: 30 * SECOND,
  queueFrames: 128,
  queueBytes: 256 * KiB,
  rateBurstFrames: 100,
  rateBurstBytes: 256 * KiB,
  rateFramesPerSec: 20,
  rateBytesPerSec: 64 * KiB,
  maxBacklogBytes: 1024 * KiB,
  aloneMs: 3600 * SECOND,
  sessionLifetimeMs: 12 * 3600 * SECOND,
  socketsPerAddress: 50,
  maxSockets: 20_000,
  maxSessions: 10_000,
});

/** Field size limits the frame parser enforces. */
export const FIELD_LIMITS = Object.freeze({
  sdpChars: 60 * KiB,
  candidateChars: 1 * KiB,
  sdpMidChars: 64,
  usernameFragmentChars: 256,
  reasonChars: 64,
  /** No genuine resume token is longer; longer ones are refused without decoding. */
  tokenChars: 256,
});
