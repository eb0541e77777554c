/** Small, pure SDP helpers (kept apart so they run under the unit runner). */

/** The DTLS certificate fingerprint of a description: it identifies one RTCPeerConnection. */
export function sdpFingerprint(sdp: string): string | null {
  const m = /^a=fingerprint:\S+ (\S+)/m.exec(sdp);
  return m?.[1]?.toUpperCase() ?? null;
}

/** A stable key for a candidate, so a replayed one is recognised as already applied. */
export function candidateKey(c: {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}): string {
  return `${c.usernameFragment ?? ''}|${c.sdpMid ?? ''}|${c.sdpMLineIndex ?? ''}|${c.candidate}`;
}
