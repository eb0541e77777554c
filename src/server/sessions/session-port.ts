import type { Envelope } from '../../shared/protocol/index.js';
import type { PeerLink } from './connection.js';

/** What the transport may read of one socket's standing in the session layer. */
export interface SessionHandle {
  /** Whether a join was handled (the socket is, or was, in a session). */
  readonly isJoined: boolean;
  /** The session this socket is joined to, or null; for transport-level error frames. */
  readonly sessionId: string | null;
  /** Resolves once every envelope received so far has been handled. */
  settled(): Promise<void>;
}

/**
 * The session layer as the transport sees it (style.md §2): sockets come in as PeerLinks and
 * leave as handles; the gateway never builds or reaches into the session layer.
 */
export interface SessionPort<H extends SessionHandle = SessionHandle> {
  /** Registers a new socket. */
  open(link: PeerLink): H;
  /** One envelope from the socket, handled after every earlier one of the same socket. */
  receive(conn: H, envelope: Envelope, bytes: number): void;
  /** The socket closed; `clean` when the peer sent close 1000/1001 (rule 6). */
  closed(conn: H, clean: boolean): void;
  /** Cancels every timer (server shutdown). */
  stop(): void;
}
