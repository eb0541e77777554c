import { normalizeSessionId } from '../../shared/protocol/index.js';

export type LinkIntent = { kind: 'home' } | { kind: 'join'; sessionId: string } | { kind: 'bad-link' };

/** Reads `?session=<uuid>` from a page address (before the first render). */
export function readSessionLink(search: string): LinkIntent {
  const params = new URLSearchParams(search);
  if (!params.has('session')) return { kind: 'home' };
  const id = normalizeSessionId(params.get('session'));
  return id ? { kind: 'join', sessionId: id } : { kind: 'bad-link' };
}

/** The key under which this tab keeps its resume token for one session. */
export const resumeKey = (sessionId: string) => `homecall.resume.${sessionId}`;
