import type { ClientFrame } from '../frames.js';
import { type ProtocolError, parseBody, readEnvelope } from '../parse.js';
import type { Result } from '../result.js';

/**
 * Test-only: both stages of the client parser in one call. The gateway runs them apart (the
 * envelope first, so rule 4 checks the session id before the body is looked at); the parser's
 * tests read better with the whole frame at once.
 */
export function parseClientFrame(text: string): Result<ClientFrame, ProtocolError> {
  const envelope = readEnvelope(text);
  return envelope.ok ? parseBody(envelope.value) : envelope;
}
