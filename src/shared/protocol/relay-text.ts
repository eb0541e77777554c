import type { CandidateFrame, RelayFrame } from './frames.js';

/**
 * What JSON.stringify escapes in a string: `"`, `\`, control characters, and (well-formed
 * stringify) lone surrogates; any surrogate at all sends the string to JSON.stringify.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function candidateText({ sessionId, candidate: c }: CandidateFrame): string {
  // The builders' key order (candidateFrame, toCandidateInit), so the text is JSON.stringify's.
  let text = `{"type":"candidate","sessionId":${quote(sessionId)},"candidate":{"candidate":${quote(c.candidate)}`;
  if (c.sdpMid !== undefined) text += `,"sdpMid":${quote(c.sdpMid)}`;
  if (c.sdpMLineIndex !== undefined) text += `,"sdpMLineIndex":${JSON.stringify(c.sdpMLineIndex)}`;
  if (c.usernameFragment !== undefined) text += `,"usernameFragment":${quote(c.usernameFragment)}`;
  return `${text}}}`;
}

/**
 * The wire text of a frame rebuilt for relaying: exactly `JSON.stringify(frame)`. Candidates,
 * most of what is relayed, are written directly: JSON.stringify builds its result from parts
 * that the socket write then copies flat again, about 600 B of garbage per candidate frame,
 * and the scavenges that garbage causes are the relay's latency tail (docs/performance.md).
 */
export function relayText(frame: RelayFrame): string {
  return frame.type === 'candidate' ? candidateText(frame) : JSON.stringify(frame);
}
