/**
 * The frames of peerjs's own signalling protocol, shaped as its browser client (peerjs 1.x)
 * sends them for a media connection: the server forwards OFFER, ANSWER, CANDIDATE and LEAVE to
 * `dst` (adding `src`), answers a new socket with OPEN and only notes HEARTBEAT, which the
 * client sends every 5 s.
 */

/** The client's heartbeat period (peerjs's `pingInterval`). */
export const PEERJS_HEARTBEAT_MS = 5000;

/** The WebSocket path and query of peer `id` (`/peerjs?key=&id=&token=`, relative to the server's URL). */
export const peerjsPath = (id: string, token: string) =>
  `peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`;

export const peerjsHeartbeat = () => ({ type: 'HEARTBEAT' });

export const peerjsOffer = (dst: string, sdp: string, connectionId: string) => ({
  type: 'OFFER',
  payload: { sdp: { type: 'offer', sdp }, type: 'media', connectionId, metadata: null },
  dst,
});

export const peerjsAnswer = (dst: string, sdp: string, connectionId: string) => ({
  type: 'ANSWER',
  payload: { sdp: { type: 'answer', sdp }, type: 'media', connectionId, browser: 'chrome' },
  dst,
});

export const peerjsCandidate = (dst: string, candidate: string, connectionId: string) => ({
  type: 'CANDIDATE',
  payload: { candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 }, type: 'media', connectionId },
  dst,
});

export const peerjsLeave = (dst: string) => ({ type: 'LEAVE', dst });
