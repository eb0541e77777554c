import * as v from 'valibot';
import { ErrorCode } from './error-codes.js';
import {
  type ClientFrame,
  ClientFrameType,
  type ServerFrame,
  answerFrame,
  candidateFrame,
  errorFrame,
  hangupFrame,
  joinFrame,
  joinedFrame,
  offerFrame,
  peerFrame,
  pingFrame,
  pongFrame,
} from './frames.js';
import { FIELD_LIMITS } from './limits.js';
import { type Result, err, ok } from './result.js';
import { normalizeSessionId } from './session-id.js';

/** Why a frame was refused; `sessionId` is the normalised id when it could be read. */
export interface ProtocolError {
  code: ErrorCode;
  sessionId: string | null;
}

/** A frame whose `type` and `sessionId` are valid; the body is not looked at yet. */
export interface Envelope {
  type: ClientFrameType;
  sessionId: string;
  body: Record<string, unknown>;
}

const CLIENT_TYPES: ReadonlySet<string> = new Set(Object.values(ClientFrameType));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON, or nested deep enough to exhaust the parser's stack (RangeError).
    return undefined;
  }
}

/**
 * Stage one of parsing a client frame: JSON, an object, a known `type`, a UUID `sessionId`.
 * Rule 4 wants the id checked before the body is looked at, so the body waits for stage two.
 */
export function readEnvelope(text: string): Result<Envelope, ProtocolError> {
  const data = parseJson(text);
  if (!isRecord(data)) return err({ code: ErrorCode.BAD_MESSAGE, sessionId: null });
  // Own-property reads only: `type: "__proto__"` or `"constructor"` is just an unknown type.
  const type = Object.hasOwn(data, 'type') ? data.type : undefined;
  if (typeof type !== 'string' || !CLIENT_TYPES.has(type)) {
    return err({ code: ErrorCode.BAD_MESSAGE, sessionId: null });
  }
  const rawId = Object.hasOwn(data, 'sessionId') ? data.sessionId : undefined;
  const sessionId = normalizeSessionId(rawId);
  if (sessionId === null) {
    const code = typeof rawId === 'string' ? ErrorCode.BAD_SESSION_ID : ErrorCode.BAD_MESSAGE;
    return err({ code, sessionId: null });
  }
  return ok({ type: type as ClientFrameType, sessionId, body: data });
}

const boundedString = (max: number) => v.pipe(v.string(), v.maxLength(max));
const nonEmptyString = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));

const SdpBody = v.object({ sdp: nonEmptyString(FIELD_LIMITS.sdpChars) });
// Any string is a well-formed `resume` field: whether it is a genuine token is the session
// layer's call (a malformed token is SIGNAL_NOT_FOUND, rule 2); the frame limit bounds it.
const JoinBody = v.object({ resume: v.optional(v.string()) });
const HangupBody = v.object({ reason: v.optional(boundedString(FIELD_LIMITS.reasonChars)) });
// Browsers serialise absent fields of RTCIceCandidate as null; both forms are accepted.
const CandidateSchema = v.object({
  // An empty string is the end-of-candidates marker and must be relayed.
  candidate: boundedString(FIELD_LIMITS.candidateChars),
  sdpMid: v.nullish(boundedString(FIELD_LIMITS.sdpMidChars)),
  sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
  usernameFragment: v.nullish(boundedString(FIELD_LIMITS.usernameFragmentChars)),
});
const CandidateBody = v.object({ candidate: CandidateSchema });

/** Stage two: validates the body of an envelope and rebuilds the frame from allowed fields only. */
export function parseBody(envelope: Envelope): Result<ClientFrame, ProtocolError> {
  const { type, sessionId, body } = envelope;
  const bad = err({ code: ErrorCode.BAD_MESSAGE, sessionId });
  switch (type) {
    case 'join': {
      const r = v.safeParse(JoinBody, body);
      return r.success ? ok(joinFrame(sessionId, r.output.resume)) : bad;
    }
    case 'offer':
    case 'answer': {
      const r = v.safeParse(SdpBody, body);
      if (!r.success) return bad;
      return ok(type === 'offer' ? offerFrame(sessionId, r.output.sdp) : answerFrame(sessionId, r.output.sdp));
    }
    case 'candidate': {
      const r = v.safeParse(CandidateBody, body);
      return r.success ? ok(candidateFrame(sessionId, r.output.candidate)) : bad;
    }
    case 'hangup': {
      const r = v.safeParse(HangupBody, body);
      return r.success ? ok(hangupFrame(sessionId, r.output.reason)) : bad;
    }
    case 'ping':
      return ok(pingFrame(sessionId));
  }
}

const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

const ServerFrameSchema = v.variant('type', [
  v.object({
    type: v.literal('joined'),
    sessionId: v.string(),
    peer: v.boolean(),
    resume: v.string(),
    iceServers: v.array(IceServerSchema),
  }),
  v.object({ type: v.literal('peer'), sessionId: v.string(), state: v.picklist(['joined', 'away', 'back', 'left']) }),
  v.object({ type: v.literal('offer'), sessionId: v.string(), sdp: v.string() }),
  v.object({ type: v.literal('answer'), sessionId: v.string(), sdp: v.string() }),
  v.object({ type: v.literal('candidate'), sessionId: v.string(), candidate: CandidateSchema }),
  v.object({ type: v.literal('hangup'), sessionId: v.string(), reason: v.optional(v.string()) }),
  v.object({ type: v.literal('pong'), sessionId: v.string() }),
  v.object({
    type: v.literal('error'),
    sessionId: v.nullable(v.string()),
    code: v.picklist(Object.values(ErrorCode)),
    message: v.string(),
  }),
]);

/** Parses a frame from the server (used by the web client), rebuilt from its validated fields. */
export function parseServerFrame(text: string): Result<ServerFrame, ProtocolError> {
  const r = v.safeParse(ServerFrameSchema, parseJson(text));
  if (!r.success) return err({ code: ErrorCode.BAD_MESSAGE, sessionId: null });
  return ok(rebuildServerFrame(r.output));
}

function rebuildServerFrame(f: v.InferOutput<typeof ServerFrameSchema>): ServerFrame {
  switch (f.type) {
    case 'joined':
      return joinedFrame(f.sessionId, f.peer, f.resume, f.iceServers);
    case 'peer':
      return peerFrame(f.sessionId, f.state);
    case 'offer':
      return offerFrame(f.sessionId, f.sdp);
    case 'answer':
      return answerFrame(f.sessionId, f.sdp);
    case 'candidate':
      return candidateFrame(f.sessionId, f.candidate);
    case 'hangup':
      return hangupFrame(f.sessionId, f.reason);
    case 'pong':
      return pongFrame(f.sessionId);
    case 'error':
      return { ...errorFrame(f.code, f.sessionId), message: f.message };
  }
}
