import { ERRORS, type ErrorCode, type ErrorKind, INTERNAL_ERROR } from '../../shared/protocol/index.js';
import type { EventLog } from '../logger.js';
import type { PeerLink } from './connection.js';

/** One `error` frame to send, and what goes with it. */
export interface ErrorReply {
  code: ErrorCode;
  sessionId: string | null;
  /** It answers garbage, so the link's error budget applies (reliability M11). */
  throttled?: boolean;
  /** Ends the socket too, with the code's close code (ERRORS) and this reason. */
  closeReason?: string;
  /** The log line's event label; `error-sent` by default. */
  event?: string;
  /** More technical labels for the log line: never SDP, candidates, addresses or tokens. */
  detail?: Readonly<Record<string, string | number | boolean>>;
}

const LEVEL: Readonly<Record<ErrorKind, 'warn' | 'info' | 'error'>> = {
  protocol: 'warn',
  refusal: 'info',
  internal: 'error',
};

/**
 * The one way an `error` frame is sent (style.md §4): the frame, one log line at the level of
 * the code's kind (only when the frame was sent, so a throttled flood is not logged either),
 * then the close if the error ends the socket.
 */
export function sendError(link: PeerLink, log: EventLog, reply: ErrorReply): void {
  const spec = ERRORS[reply.code];
  if (link.sendError(reply.code, reply.sessionId, reply.throttled ?? false)) {
    log[LEVEL[spec.kind]]({ event: reply.event ?? 'error-sent', code: reply.code, ...reply.detail });
  }
  if (reply.closeReason === undefined) return;
  if (spec.close === null) throw new Error(`bug: ${reply.code} never closes a socket`);
  link.close(spec.close, reply.closeReason);
}

/**
 * A bug, not a peer's fault: full detail in the log at error; the socket, if any, gets the
 * generic SERVER_BUSY and close 1011, so no internals reach a client.
 */
export function sendInternalError(
  log: EventLog,
  error: unknown,
  target: { link: PeerLink; sessionId: string | null } | null,
): void {
  log[LEVEL[INTERNAL_ERROR.kind]]({ err: error, event: 'internal-error' });
  if (target === null) return;
  target.link.sendError(INTERNAL_ERROR.code, target.sessionId, false);
  target.link.close(INTERNAL_ERROR.close, 'internal error');
}
