import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import * as v from 'valibot';
import {
  type ClientFrame,
  answerFrame,
  candidateFrame,
  hangupFrame,
  joinFrame,
  offerFrame,
  pingFrame,
} from './frames.js';
import { FIELD_LIMITS } from './limits.js';
import { type Envelope, parseBody } from './parse.js';
import { ErrorCode } from './error-codes.js';

// The model: the valibot schemas parseBody used before its checks were written by hand (M6).
// The hand-written checks must accept, refuse and rebuild exactly what these did.
const boundedString = (max: number) => v.pipe(v.string(), v.maxLength(max));
const nonEmptyString = (max: number) => v.pipe(v.string(), v.minLength(1), v.maxLength(max));
const SdpBody = v.object({ sdp: nonEmptyString(FIELD_LIMITS.sdpChars) });
const JoinBody = v.object({ resume: v.optional(v.string()) });
const HangupBody = v.object({ reason: v.optional(boundedString(FIELD_LIMITS.reasonChars)) });
const CandidateSchema = v.object({
  candidate: boundedString(FIELD_LIMITS.candidateChars),
  sdpMid: v.nullish(boundedString(FIELD_LIMITS.sdpMidChars)),
  sdpMLineIndex: v.nullish(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
  usernameFragment: v.nullish(boundedString(FIELD_LIMITS.usernameFragmentChars)),
});
const CandidateBody = v.object({ candidate: CandidateSchema });

function modelParseBody({ type, sessionId, body }: Envelope): ClientFrame | null {
  switch (type) {
    case 'join': {
      const r = v.safeParse(JoinBody, body);
      return r.success ? joinFrame(sessionId, r.output.resume) : null;
    }
    case 'offer':
    case 'answer': {
      const r = v.safeParse(SdpBody, body);
      if (!r.success) return null;
      return type === 'offer' ? offerFrame(sessionId, r.output.sdp) : answerFrame(sessionId, r.output.sdp);
    }
    case 'candidate': {
      const r = v.safeParse(CandidateBody, body);
      return r.success ? candidateFrame(sessionId, r.output.candidate) : null;
    }
    case 'hangup': {
      const r = v.safeParse(HangupBody, body);
      return r.success ? hangupFrame(sessionId, r.output.reason) : null;
    }
    case 'ping':
      return pingFrame(sessionId);
  }
}

const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

/** Strings around each limit, and every JSON type that is not a string. */
const edgeString = (max: number) =>
  fc.oneof(
    fc.constantFrom(
      '',
      'a',
      '0',
      'x'.repeat(max),
      'x'.repeat(max + 1),
      '\ud83d\ude00'.repeat(max / 2),
      'é'.repeat(max),
    ),
    fc.string({ maxLength: 8 }),
  );
const otherJson = fc.constantFrom<unknown>(null, true, false, 0, -0, 1, -1, 1.5, 65535, 65536, [], 2 ** 53, {}, ['a'], {
  candidate: 'c',
});
/** A field as JSON.parse could give it: absent (undefined), or any of the values above. */
const field = (max: number) => fc.option(fc.oneof(edgeString(max), otherJson), { nil: undefined });
const record = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(fields, { requiredKeys: [] }).map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);

const candidateObject = fc.oneof(
  record({
    candidate: field(FIELD_LIMITS.candidateChars),
    sdpMid: field(FIELD_LIMITS.sdpMidChars),
    sdpMLineIndex: fc.option(otherJson, { nil: undefined }),
    usernameFragment: field(FIELD_LIMITS.usernameFragmentChars),
    extra: fc.option(fc.string(), { nil: undefined }),
  }),
  otherJson,
);
const bodies: fc.Arbitrary<Envelope> = fc.oneof(
  record({ resume: field(FIELD_LIMITS.tokenChars) }).map((body) => ({ type: 'join' as const, sessionId: ID, body })),
  fc
    .tuple(fc.constantFrom('offer' as const, 'answer' as const), record({ sdp: field(FIELD_LIMITS.sdpChars) }))
    .map(([type, body]) => ({ type, sessionId: ID, body })),
  record({ candidate: candidateObject }).map((body) => ({ type: 'candidate' as const, sessionId: ID, body })),
  record({ reason: field(FIELD_LIMITS.reasonChars) }).map((body) => ({ type: 'hangup' as const, sessionId: ID, body })),
  record({ x: field(4) }).map((body) => ({ type: 'ping' as const, sessionId: ID, body })),
);

describe('parseBody against the valibot schemas it replaced (M6)', () => {
  test('M6: every body is accepted, refused and rebuilt exactly as the schemas did', () => {
    fc.assert(
      fc.property(bodies, (envelope) => {
        const want = modelParseBody(envelope);
        const got = parseBody(envelope);
        if (want === null) assert.deepEqual(got, { ok: false, error: { code: ErrorCode.BAD_MESSAGE, sessionId: ID } });
        else assert.deepEqual(got, { ok: true, value: want });
      }),
      { numRuns: 20_000 },
    );
  });
});
