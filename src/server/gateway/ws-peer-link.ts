import WebSocket from 'ws';
import { type CloseCode, type ErrorCode, type ServerFrame, errorFrame } from '../../shared/protocol/index.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { PeerLink } from '../sessions/connection.js';
import { TokenBucket } from './rate-limiter.js';

/** Error replies to garbage: a small burst, then one per second (reliability M11). */
const ERROR_BURST = 5;
const ERRORS_PER_SEC = 1;

/** The byte stream under the WebSocket (the socket given to `handleUpgrade`): only its corking. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Ends a link's batch: what it sent in one task leaves in one write. */
function uncorkLink(link: WsPeerLink): void {
  link.flush();
}

export interface WsPeerLinkOptions {
  maxBacklogBytes: number;
  clock: Clock;
  metrics: Metrics;
}

/** A PeerLink over one `ws` socket, with outbound backpressure and an error-reply budget. */
export class WsPeerLink implements PeerLink {
  #errors: TokenBucket | null = null;
  /** When the last RATE_LIMITED reply went out; a second before any time (a small integer, not a boxed -Infinity). */
  #lastRateLimited = -1000;
  /** The stream is corked until the end of the current task (see sendText). */
  #corked = false;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    private readonly stream: Corkable,
    /** Shared by every link of a gateway: kept by reference. */
    private readonly options: WsPeerLinkOptions,
  ) {}

  send(frame: ServerFrame): void {
    this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): void {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    // Frames sent to one socket in one task (the relayed offer and candidates that arrived in
    // one read, `hangup` and the close frame after it, `joined` and its queue) leave in one
    // write instead of one each: the stream is corked at the first and uncorked before the
    // event loop goes on (process.nextTick), so no frame waits for anything but the end of the
    // task that sent it. Order is unchanged (one stream, one buffer).
    if (!this.#corked) {
      this.#corked = true;
      this.stream.cork();
      process.nextTick(uncorkLink, this);
    }
    ws.send(text);
    // ws has no backpressure of its own: a peer that stops reading is dropped (as an
    // abnormal drop, so its place is held) before its backlog eats the server's memory.
    // Corked bytes count in bufferedAmount too, so the cap is checked on the same bytes.
    if (ws.bufferedAmount > this.options.maxBacklogBytes) ws.terminate();
  }

  /** Writes what this task sent (called once per corked task). */
  flush(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.stream.uncork();
  }

  /** `true` when a throttled error reply may be sent now (also gates its log line). */
  #mayReportError(): boolean {
    this.#errors ??= new TokenBucket(ERROR_BURST, ERRORS_PER_SEC, this.options.clock.now());
    return this.#errors.take(this.options.clock.now());
  }

  /** `true` at most once per second: the RATE_LIMITED reply budget. */
  mayReportRateLimit(now: number): boolean {
    if (now - this.#lastRateLimited < 1000) return false;
    this.#lastRateLimited = now;
    return true;
  }

  sendError(code: ErrorCode, sessionId: string | null, throttled: boolean): boolean {
    if (throttled && !this.#mayReportError()) return false;
    this.options.metrics.errorSent(code);
    this.send(errorFrame(code, sessionId));
    return true;
  }

  close(code: CloseCode, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code, reason);
  }
}
