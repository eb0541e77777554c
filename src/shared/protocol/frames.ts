import { ERROR_MESSAGES, type ErrorCode } from './error-codes.js';

/** Frame types of protocol.md, "Frames". */
export const ClientFrameType = {
  JOIN: 'join',
  OFFER: 'offer',
  ANSWER: 'answer',
  CANDIDATE: 'candidate',
  HANGUP: 'hangup',
  PING: 'ping',
} as const;
export type ClientFrameType = (typeof ClientFrameType)[keyof typeof ClientFrameType];

export const PeerState = {
  JOINED: 'joined',
  AWAY: 'away',
  BACK: 'back',
  LEFT: 'left',
} as const;
export type PeerState = (typeof PeerState)[keyof typeof PeerState];

/** The serialisable form of an ICE candidate (RTCIceCandidateInit). */
export interface CandidateInit {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
  usernameFragment?: string;
}

/** The subset of RTCIceServer the server hands out. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface JoinFrame {
  type: 'join';
  sessionId: string;
  resume?: string;
}
export interface OfferFrame {
  type: 'offer';
  sessionId: string;
  sdp: string;
}
export interface AnswerFrame {
  type: 'answer';
  sessionId: string;
  sdp: string;
}
export interface CandidateFrame {
  type: 'candidate';
  sessionId: string;
  candidate: CandidateInit;
}
export interface HangupFrame {
  type: 'hangup';
  sessionId: string;
  reason?: string;
}
export interface PingFrame {
  type: 'ping';
  sessionId: string;
}

/** Frames a participant sends to the other through the server. */
export type RelayFrame = OfferFrame | AnswerFrame | CandidateFrame;
export type ClientFrame = JoinFrame | RelayFrame | HangupFrame | PingFrame;

export interface JoinedFrame {
  type: 'joined';
  sessionId: string;
  peer: boolean;
  resume: string;
  iceServers: IceServer[];
}
export interface PeerFrame {
  type: 'peer';
  sessionId: string;
  state: PeerState;
}
export interface PongFrame {
  type: 'pong';
  sessionId: string;
}
export interface ErrorFrame {
  type: 'error';
  sessionId: string | null;
  code: ErrorCode;
  message: string;
}

export type ServerFrame = JoinedFrame | PeerFrame | RelayFrame | HangupFrame | PongFrame | ErrorFrame;

// Builders: the only place frames are assembled, so every frame on the wire has exactly
// the protocol's fields and nothing a peer smuggled in.

export const joinFrame = (sessionId: string, resume?: string): JoinFrame =>
  resume === undefined ? { type: 'join', sessionId } : { type: 'join', sessionId, resume };

export const offerFrame = (sessionId: string, sdp: string): OfferFrame => ({ type: 'offer', sessionId, sdp });

export const answerFrame = (sessionId: string, sdp: string): AnswerFrame => ({ type: 'answer', sessionId, sdp });

/** A candidate as browsers and validators give it: optional fields may be null. */
export interface CandidateLike {
  candidate: string;
  sdpMid?: string | null | undefined;
  sdpMLineIndex?: number | null | undefined;
  usernameFragment?: string | null | undefined;
}

/** The one copier of candidate fields: known fields only, absent or null ones left out. */
export function toCandidateInit(c: CandidateLike): CandidateInit {
  const init: CandidateInit = { candidate: c.candidate };
  if (c.sdpMid != null) init.sdpMid = c.sdpMid;
  if (c.sdpMLineIndex != null) init.sdpMLineIndex = c.sdpMLineIndex;
  if (c.usernameFragment != null) init.usernameFragment = c.usernameFragment;
  return init;
}

export const candidateFrame = (sessionId: string, init: CandidateLike): CandidateFrame => ({
  type: 'candidate',
  sessionId,
  candidate: toCandidateInit(init),
});

/** The `reason` of a `hangup` the server sends on its own (a participant's reason is free text). */
export const HangupReason = {
  /** A participant was alone longer than the alone limit. */
  TIMEOUT: 'timeout',
  /** The session reached its lifetime cap. */
  LIFETIME: 'lifetime',
} as const;
export type HangupReason = (typeof HangupReason)[keyof typeof HangupReason];

export const hangupFrame = (sessionId: string, reason?: string): HangupFrame =>
  reason === undefined ? { type: 'hangup', sessionId } : { type: 'hangup', sessionId, reason };

export const pingFrame = (sessionId: string): PingFrame => ({ type: 'ping', sessionId });
export const pongFrame = (sessionId: string): PongFrame => ({ type: 'pong', sessionId });

export const joinedFrame = (
  sessionId: string,
  peer: boolean,
  resume: string,
  iceServers: IceServer[],
): JoinedFrame => ({ type: 'joined', sessionId, peer, resume, iceServers });

export const peerFrame = (sessionId: string, state: PeerState): PeerFrame => ({ type: 'peer', sessionId, state });

export const errorFrame = (code: ErrorCode, sessionId: string | null = null): ErrorFrame => ({
  type: 'error',
  sessionId,
  code,
  message: ERROR_MESSAGES[code],
});
