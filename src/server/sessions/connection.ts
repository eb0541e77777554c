import type { CloseCode, ErrorCode, ServerFrame } from '../../shared/protocol/index.js';
import type { Seat } from './session-registry.js';
import type { SessionHandle } from './session-port.js';

/** What the session layer sees of a socket (style.md §2: never a WebSocket). */
export interface PeerLink {
  readonly id: string;
  send(frame: ServerFrame): void;
  /** Sends an already serialised frame (relayed and queued frames). */
  sendText(text: string): void;
  /**
   * Sends an `error` frame. `throttled` errors answer garbage and are rate-limited by the
   * transport, so a flood of bad frames cannot be amplified into a flood of replies.
   * Returns whether the frame was sent (a throttled one may not be). Callers use sendError().
   */
  sendError(code: ErrorCode, sessionId: string | null, throttled: boolean): boolean;
  close(code: CloseCode, reason: string): void;
}

export type ConnectionState = 'new' | 'joined' | 'ended' | 'replaced' | 'closed';

/** One socket's standing in the session layer. */
export class Connection implements SessionHandle {
  state: ConnectionState = 'new';
  seat: Seat | null = null;
  /** Frames of one socket are handled one after another, in arrival order. */
  chain: Promise<void> = Promise.resolve();
  /** Asynchronous steps of this socket not yet settled; while any is, new frames queue on `chain`. */
  inFlight = 0;
  /**
   * Until the handshake reply and the queue are out, frames relayed to this socket wait here,
   * so nothing overtakes `joined` or an older queued frame.
   */
  pending: string[] | null = [];

  constructor(readonly link: PeerLink) {}

  get isJoined(): boolean {
    return this.state !== 'new';
  }

  get sessionId(): string | null {
    return this.seat?.sessionId ?? null;
  }

  settled(): Promise<void> {
    return this.chain;
  }

  deliver(text: string): void {
    if (this.pending === null) this.link.sendText(text);
    else this.pending.push(text);
  }

  /** Opens delivery after the handshake reply and the queue were sent. */
  open(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) for (const text of pending) this.link.sendText(text);
  }
}
