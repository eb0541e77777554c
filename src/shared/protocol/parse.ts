import * as v from 'valibot';
import { ErrorCode } from './error-codes.js';
import {
  type CandidateLike,
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

// The server-frame schema (the web client's parser) keeps valibot; the client-frame bodies below
// are checked by hand: they are read for every relayed frame, and valibot's datasets, issue
// arrays and output copies were about 530 B of garbage per candidate frame, a third of what the
// protocol layer allocates per frame (the scavenges that make the relay's p99 tail). The checks
// are the same ones: exact types, the same UTF-16 length limits, null accepted where browsers
// send it. JSON.parse gives plain objects with no undefined values, and none of these keys is on
// Object.prototype, so a plain read is `undefined` exactly when the key is absent.

/** A string of at most `max` UTF-16 code units (the unit protocol.md's character limits count). */
function isStringUpTo(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

/** Absent, null (browsers serialise absent RTCIceCandidate fields as null) or a bounded string. */
function isNullishStringUpTo(value: unknown, max: number): value is string | null | undefined {
  return value === undefined || value === null || isStringUpTo(value, max);
}

function isNullishLineIndex(value: unknown): value is number | null | undefined {
  return (
    value === undefined ||
    value === null ||
    (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535)
  );
}

/** The candidate object of a `candidate` body, or null; its fields are copied by `candidateFrame`. */
function readCandidate(value: unknown): CandidateLike | null {
  // Any object, as valibot's object schema took it: an array has no `candidate` string anyway.
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  // An empty string is the end-of-candidates marker and must be relayed.
  if (!isStringUpTo(c.candidate, FIELD_LIMITS.candidateChars)) return null;
  if (!isNullishStringUpTo(c.sdpMid, FIELD_LIMITS.sdpMidChars)) return null;
  if (!isNullishLineIndex(c.sdpMLineIndex)) return null;
  if (!isNullishStringUpTo(c.usernameFragment, FIELD_LIMITS.usernameFragmentChars)) return null;
  return c as unknown as CandidateLike;
}

/** Stage two: validates the body of an envelope and rebuilds the frame from allowed fields only. */
export function parseBody(envelope: Envelope): Result<ClientFrame, ProtocolError> {
  const { type, sessionId, body } = envelope;
  switch (type) {
    case 'join': {
      // Any string is a well-formed `resume` field: whether it is a genuine token is the session
      // layer's call (a malformed token is SIGNAL_NOT_FOUND, rule 2); the frame limit bounds it.
      const { resume } = body;
      if (resume !== undefined && typeof resume !== 'string') break;
      return ok(joinFrame(sessionId, resume));
    }
    case 'offer':
    case 'answer': {
      const { sdp } = body;
      if (!isStringUpTo(sdp, FIELD_LIMITS.sdpChars) || sdp.length === 0) break;
      return ok(type === 'offer' ? offerFrame(sessionId, sdp) : answerFrame(sessionId, sdp));
    }
    case 'candidate': {
      const candidate = readCandidate(body.candidate);
      if (candidate === null) break;
      return ok(candidateFrame(sessionId, candidate));
    }
    case 'hangup': {
      const { reason } = body;
      if (reason !== undefined && !isStringUpTo(reason, FIELD_LIMITS.reasonChars)) break;
      return ok(hangupFrame(sessionId, reason));
    }
    case 'ping':
      return ok(pingFrame(sessionId));
  }
  return err({ code: ErrorCode.BAD_MESSAGE, sessionId });
}

// The web client's side: a server frame's candidate, as the server builds it.
const CandidateSchema = v.object({
  candidate: boundedString(FIELD_LIMITS.candidateChars),
  sdpMid: v.nullish(boundedString(FIELD_LIMITS.sdpMidChars)),
  sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
  usernameFragment: v.nullish(boundedString(FIELD_LIMITS.usernameFragmentChars)),
});

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
