import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_MESSAGES, ErrorCode } from './error-codes.js';
import {
  candidateFrame,
  errorFrame,
  hangupFrame,
  joinedFrame,
  joinFrame,
  peerFrame,
  pingFrame,
  pongFrame,
} from './frames.js';
import { FIELD_LIMITS } from './limits.js';
import { parseBody, parseServerFrame, readEnvelope } from './parse.js';
import { parseClientFrame } from './testing/parse-client-frame.js';
import { err, ok } from './result.js';

const ID = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CAND = 'candidate:842163049 1 udp 1677729535 192.0.2.1 3478 typ srflx raddr 0.0.0.0 rport 0';

const j = (value: unknown): string => JSON.stringify(value);

function okFrame(text: string) {
  const r = parseClientFrame(text);
  assert.ok(r.ok, `expected ${text.slice(0, 200)} to parse, got ${j(r.ok ? null : r.error)}`);
  return r.value;
}

function refused(text: string, code: ErrorCode, sessionId: string | null) {
  const r = parseClientFrame(text);
  assert.equal(r.ok, false, `expected ${text.slice(0, 200)} to be refused`);
  if (!r.ok) assert.deepEqual(r.error, { code, sessionId });
}

const protoSnapshot = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');
let baseline = '';
before(() => {
  baseline = protoSnapshot();
});
after(() => {
  // M5: nothing any test fed the parser changed Object.prototype.
  assert.equal(protoSnapshot(), baseline);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

describe('envelope: JSON, an object, a known type (protocol.md "Error codes": BAD_MESSAGE)', () => {
  const notJson = [
    '',
    ' ',
    '{',
    '}',
    '\u0000',
    'a'.repeat(65536),
    '\uFEFF{"type":"ping"}',
    "{'type':'ping'}",
    'undefined',
    'NaN',
  ];
  for (const text of notJson) {
    test(`M1: not JSON is BAD_MESSAGE: ${j(text.slice(0, 20))}`, () => {
      refused(text, ErrorCode.BAD_MESSAGE, null);
      assert.equal(readEnvelope(text).ok, false);
    });
  }

  for (const text of [
    'null',
    'true',
    'false',
    '0',
    '1e308',
    '"x"',
    '[]',
    '[{}]',
    `[${j({ type: 'ping', sessionId: ID })}]`,
  ]) {
    test(`M2: JSON that is not an object is BAD_MESSAGE: ${text.slice(0, 30)}`, () => {
      refused(text, ErrorCode.BAD_MESSAGE, null);
    });
  }

  const badTypes: unknown[] = [
    undefined,
    null,
    1,
    true,
    {},
    ['offer'],
    '',
    'OFFER',
    ' offer ',
    'offer\u0000',
    'x'.repeat(10_000),
    'joined',
    'peer',
    'pong',
    'error',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'prototype',
  ];
  for (const type of badTypes) {
    test(`M3/M4/M10: type ${j(type)?.slice(0, 20) ?? 'absent'} is BAD_MESSAGE and never echoed`, () => {
      const frame: Record<string, unknown> = { sessionId: ID, sdp: SDP };
      if (type !== undefined) frame.type = type;
      const text = j(frame);
      refused(text, ErrorCode.BAD_MESSAGE, null);
      const r = parseClientFrame(text);
      if (!r.ok && typeof type === 'string' && type.length >= 4) {
        assert.ok(!j(r.error).includes(type), 'the error must not echo the type');
      }
    });
  }

  test('M4: an inherited type is not read: "__proto__" key carrying a type', () => {
    refused(`{"__proto__":{"type":"offer"},"sessionId":"${ID}","sdp":"x"}`, ErrorCode.BAD_MESSAGE, null);
  });

  test('M10: a client-sent error frame is BAD_MESSAGE', () => {
    refused(
      j({ type: 'error', sessionId: ID, code: 'SESSION_FULL', message: '<script>alert(1)</script>'.repeat(400) }),
      ErrorCode.BAD_MESSAGE,
      null,
    );
  });
});

describe('envelope: sessionId (rule 4: the id is checked before the body)', () => {
  for (const [name, value] of [
    ['missing', undefined],
    ['null', null],
    ['a number', 123],
    ['an object', { id: ID }],
    ['an array', [ID]],
    ['a boolean', true],
  ] as const) {
    test(`H5: sessionId ${name} is BAD_MESSAGE`, () => {
      const frame: Record<string, unknown> = { type: 'join' };
      if (value !== undefined) frame.sessionId = value;
      refused(j(frame), ErrorCode.BAD_MESSAGE, null);
    });
  }

  for (const [name, value] of [
    ['empty', ''],
    ['in braces', `{${ID}}`],
    ['with spaces', ` ${ID} `],
    ['37 characters', `${ID}a`],
    ['URL-encoded', encodeURIComponent(`{${ID}}`)],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['a Cyrillic homoglyph', ID.replace('a', '\u0430')],
    ['8 KiB long', 'a'.repeat(8192)],
    ['../', '../../etc/passwd'],
    ['%00', `${ID.slice(0, 33)}%00`],
  ] as const) {
    test(`H5: sessionId ${name} is BAD_SESSION_ID, without echo`, () => {
      for (const type of ['join', 'offer', 'candidate', 'hangup', 'ping']) {
        refused(j({ type, sessionId: value }), ErrorCode.BAD_SESSION_ID, null);
      }
    });
  }

  test('H5: an upper-case id is normalised to lower case in the envelope and the frame', () => {
    const env = readEnvelope(j({ type: 'offer', sessionId: ID.toUpperCase(), sdp: SDP }));
    assert.ok(env.ok);
    assert.equal(env.value.sessionId, ID);
    assert.equal(env.value.type, 'offer');
    assert.deepEqual(okFrame(j({ type: 'join', sessionId: ID.toUpperCase() })), { type: 'join', sessionId: ID });
  });

  test('rule 4: the envelope is read without looking at the body (a bad body still gives an envelope)', () => {
    const env = readEnvelope(j({ type: 'offer', sessionId: ID, sdp: 42 }));
    assert.ok(env.ok);
    assert.equal(env.value.sessionId, ID);
    const body = parseBody(env.value);
    assert.equal(body.ok, false);
    if (!body.ok) assert.deepEqual(body.error, { code: ErrorCode.BAD_MESSAGE, sessionId: ID });
  });

  test('rule 4: an unknown type is refused before the id is looked at', () => {
    refused(j({ type: 'nope', sessionId: 'not-a-uuid' }), ErrorCode.BAD_MESSAGE, null);
  });
});

describe('bodies (M6: field validation; errors carry the normalised id)', () => {
  test('join without resume', () => {
    const f = okFrame(j({ type: 'join', sessionId: ID }));
    assert.deepEqual(f, { type: 'join', sessionId: ID });
    assert.deepEqual(Object.keys(f), ['type', 'sessionId']);
  });

  test('join with resume keeps the token verbatim', () => {
    assert.deepEqual(okFrame(j({ type: 'join', sessionId: ID, resume: 'abc_-123' })), {
      type: 'join',
      sessionId: ID,
      resume: 'abc_-123',
    });
  });

  for (const resume of [null, 1, {}, ['t'], true]) {
    test(`join: an ill-typed resume (${j(resume)}) is BAD_MESSAGE`, () => {
      refused(j({ type: 'join', sessionId: ID, resume }), ErrorCode.BAD_MESSAGE, ID);
    });
  }

  // protocol.md rule 2: "A forged or malformed token: error SIGNAL_NOT_FOUND". A string token
  // that is empty or too long is a malformed token, not an ill-typed field, so the parser must
  // not turn it into BAD_MESSAGE (reliability.md R2 lists "empty" and "wrong length").
  for (const [name, resume] of [
    ['empty', ''],
    ['over FIELD_LIMITS.tokenChars', 'A'.repeat(FIELD_LIMITS.tokenChars + 1)],
  ] as const) {
    test(`rule 2: a malformed (${name}) resume token is not BAD_MESSAGE (SIGNAL_NOT_FOUND is the session's call)`, () => {
      const r = parseClientFrame(j({ type: 'join', sessionId: ID, resume }));
      if (!r.ok) assert.equal(r.error.code, ErrorCode.SIGNAL_NOT_FOUND);
    });
  }

  for (const type of ['offer', 'answer'] as const) {
    test(`${type}: valid sdp is kept verbatim`, () => {
      const f = okFrame(j({ type, sessionId: ID, sdp: SDP }));
      assert.deepEqual(f, { type, sessionId: ID, sdp: SDP });
      assert.deepEqual(Object.keys(f), ['type', 'sessionId', 'sdp']);
    });

    test(`${type}: sdp of exactly FIELD_LIMITS.sdpChars is accepted`, () => {
      const sdp = 'a'.repeat(FIELD_LIMITS.sdpChars);
      assert.equal((okFrame(j({ type, sessionId: ID, sdp })) as { sdp: string }).sdp, sdp);
    });

    for (const [name, sdp] of [
      ['missing', undefined],
      ['empty', ''],
      ['null', null],
      ['a number', 1],
      ['an object', { sdp: SDP }],
      ['an array', [SDP]],
      ['over FIELD_LIMITS.sdpChars', 'a'.repeat(FIELD_LIMITS.sdpChars + 1)],
    ] as const) {
      test(`M6: ${type} with sdp ${name} is BAD_MESSAGE`, () => {
        const frame: Record<string, unknown> = { type, sessionId: ID };
        if (sdp !== undefined) frame.sdp = sdp;
        refused(j(frame), ErrorCode.BAD_MESSAGE, ID);
      });
    }
  }

  test('M6: a full candidate is kept with its four fields only', () => {
    const c = { candidate: CAND, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' };
    const f = okFrame(j({ type: 'candidate', sessionId: ID, candidate: c }));
    assert.deepEqual(f, { type: 'candidate', sessionId: ID, candidate: c });
  });

  test('M6: the empty-candidate end-of-candidates marker is valid', () => {
    const f = okFrame(
      j({ type: 'candidate', sessionId: ID, candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 } }),
    );
    assert.deepEqual(f, {
      type: 'candidate',
      sessionId: ID,
      candidate: { candidate: '', sdpMid: '0', sdpMLineIndex: 0 },
    });
  });

  test('M6: null sdpMid, sdpMLineIndex and usernameFragment (browser serialisation) are accepted and dropped', () => {
    const f = okFrame(
      j({
        type: 'candidate',
        sessionId: ID,
        candidate: { candidate: CAND, sdpMid: null, sdpMLineIndex: null, usernameFragment: null },
      }),
    );
    assert.deepEqual(f, { type: 'candidate', sessionId: ID, candidate: { candidate: CAND } });
    assert.deepEqual(Object.keys((f as { candidate: object }).candidate), ['candidate']);
  });

  test('M6: candidate.candidate of exactly 1 KiB and sdpMid of 64 characters are accepted', () => {
    const c = {
      candidate: 'c'.repeat(FIELD_LIMITS.candidateChars),
      sdpMid: 'm'.repeat(FIELD_LIMITS.sdpMidChars),
      sdpMLineIndex: 65535,
    };
    assert.deepEqual(okFrame(j({ type: 'candidate', sessionId: ID, candidate: c })), {
      type: 'candidate',
      sessionId: ID,
      candidate: c,
    });
  });

  const badCandidates: Array<[string, unknown]> = [
    ['missing', undefined],
    ['null', null],
    ['a string', CAND],
    ['an array', [CAND]],
    ['a number', 0],
    ['candidate.candidate missing', { sdpMid: '0' }],
    ['candidate.candidate null', { candidate: null }],
    ['candidate.candidate a number', { candidate: 1 }],
    ['candidate.candidate an object', { candidate: { candidate: CAND } }],
    ['candidate.candidate over 1 KiB', { candidate: 'c'.repeat(FIELD_LIMITS.candidateChars + 1) }],
    ['sdpMLineIndex negative', { candidate: CAND, sdpMLineIndex: -1 }],
    ['sdpMLineIndex fractional', { candidate: CAND, sdpMLineIndex: 0.5 }],
    ['sdpMLineIndex 2^31', { candidate: CAND, sdpMLineIndex: 2 ** 31 }],
    ['sdpMLineIndex 1e308', { candidate: CAND, sdpMLineIndex: 1e308 }],
    ['sdpMLineIndex a string', { candidate: CAND, sdpMLineIndex: '0' }],
    ['sdpMid over 64 characters', { candidate: CAND, sdpMid: 'm'.repeat(FIELD_LIMITS.sdpMidChars + 1) }],
    ['sdpMid a number', { candidate: CAND, sdpMid: 0 }],
    [
      'usernameFragment over its limit',
      { candidate: CAND, usernameFragment: 'u'.repeat(FIELD_LIMITS.usernameFragmentChars + 1) },
    ],
    ['usernameFragment a number', { candidate: CAND, usernameFragment: 1 }],
  ];
  for (const [name, candidate] of badCandidates) {
    test(`M6: candidate ${name} is BAD_MESSAGE`, () => {
      const frame: Record<string, unknown> = { type: 'candidate', sessionId: ID };
      if (candidate !== undefined) frame.candidate = candidate;
      refused(j(frame), ErrorCode.BAD_MESSAGE, ID);
    });
  }

  test('M9: sdpMLineIndex 1e999 (Infinity) is refused; -0 is relayed as valid JSON', () => {
    refused(
      `{"type":"candidate","sessionId":"${ID}","candidate":{"candidate":"c","sdpMLineIndex":1e999}}`,
      ErrorCode.BAD_MESSAGE,
      ID,
    );
    const f = okFrame(`{"type":"candidate","sessionId":"${ID}","candidate":{"candidate":"c","sdpMLineIndex":-0}}`);
    assert.deepEqual(JSON.parse(j(f)), {
      type: 'candidate',
      sessionId: ID,
      candidate: { candidate: 'c', sdpMLineIndex: 0 },
    });
  });

  test('M9: a lone surrogate inside sdp survives a JSON round trip', () => {
    const f = okFrame(`{"type":"offer","sessionId":"${ID}","sdp":"v=0\\ud800"}`);
    assert.deepEqual(JSON.parse(j(f)), f);
  });

  test('hangup with and without reason; reason over its limit or ill-typed is BAD_MESSAGE', () => {
    assert.deepEqual(okFrame(j({ type: 'hangup', sessionId: ID })), { type: 'hangup', sessionId: ID });
    assert.deepEqual(okFrame(j({ type: 'hangup', sessionId: ID, reason: 'user' })), {
      type: 'hangup',
      sessionId: ID,
      reason: 'user',
    });
    refused(
      j({ type: 'hangup', sessionId: ID, reason: 'r'.repeat(FIELD_LIMITS.reasonChars + 1) }),
      ErrorCode.BAD_MESSAGE,
      ID,
    );
    refused(j({ type: 'hangup', sessionId: ID, reason: 1 }), ErrorCode.BAD_MESSAGE, ID);
    refused(j({ type: 'hangup', sessionId: ID, reason: { x: 1 } }), ErrorCode.BAD_MESSAGE, ID);
  });

  test('ping carries only type and sessionId', () => {
    const f = okFrame(j({ type: 'ping', sessionId: ID.toUpperCase(), sdp: SDP, extra: 1 }));
    assert.deepEqual(f, { type: 'ping', sessionId: ID });
    assert.deepEqual(Object.keys(f), ['type', 'sessionId']);
  });
});

describe('unknown fields and prototype keys never reach the output (M5, M7)', () => {
  const extras = `"from":"a","to":"b","queue":[1],"sessionid":"x","__proto__":{"polluted":1,"sdp":"evil"},"constructor":{"prototype":{"polluted":1}}`;
  const cases: Array<[string, string, string[]]> = [
    ['join', `{"type":"join","sessionId":"${ID}",${extras}}`, ['type', 'sessionId']],
    ['offer', `{"type":"offer","sessionId":"${ID}","sdp":"v=0",${extras}}`, ['type', 'sessionId', 'sdp']],
    ['answer', `{${extras},"type":"answer","sessionId":"${ID}","sdp":"v=0"}`, ['type', 'sessionId', 'sdp']],
    ['hangup', `{"type":"hangup","sessionId":"${ID}","reason":"bye",${extras}}`, ['type', 'sessionId', 'reason']],
    ['ping', `{"type":"ping","sessionId":"${ID}",${extras}}`, ['type', 'sessionId']],
    [
      'candidate',
      `{"type":"candidate","sessionId":"${ID}","candidate":{"candidate":"c",${extras}},${extras}}`,
      ['type', 'sessionId', 'candidate'],
    ],
  ];
  for (const [name, text, keys] of cases) {
    test(`M5/M7: ${name} keeps only its allowlisted keys`, () => {
      const f = okFrame(text) as unknown as Record<string, unknown>;
      assert.deepEqual(Object.keys(f), keys);
      assert.equal(Object.getPrototypeOf(f), Object.prototype);
      assert.equal(f.polluted, undefined);
      if (name === 'candidate') {
        const c = f.candidate as Record<string, unknown>;
        assert.deepEqual(Object.keys(c), ['candidate']);
        assert.equal(Object.getPrototypeOf(c), Object.prototype);
      }
      if (name === 'offer' || name === 'answer') assert.equal(f.sdp, 'v=0');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  test('M7: 1,000 extra keys are stripped', () => {
    const frame: Record<string, unknown> = { type: 'offer', sessionId: ID, sdp: SDP };
    for (let i = 0; i < 1000; i++) frame[`k${i}`] = i;
    assert.deepEqual(Object.keys(okFrame(j(frame))), ['type', 'sessionId', 'sdp']);
  });

  test('M5: 10,000 generated prototype-pollution payloads never pollute and never leak keys', () => {
    const key = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'polluted',
      'sdp',
      'candidate',
      'type',
      'toString',
      'x',
    );
    const { value } = fc.letrec<{ value: string; obj: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('1', '"s"', 'null', 'true', '[]', '""'),
        tie('obj'),
      ),
      obj: fc
        .array(fc.tuple(key, tie('value')), { maxLength: 4 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${j(k)}:${v}`).join(',')}}`),
    }));
    const extraPairs = fc
      .array(fc.tuple(key, value), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `,${j(k)}:${v}`).join(''));
    fc.assert(
      fc.property(
        fc.constantFrom('join', 'offer', 'candidate', 'hangup', 'ping'),
        extraPairs,
        extraPairs,
        (type, outer, inner) => {
          const text = `{"type":"${type}","sessionId":"${ID}","sdp":"v=0","candidate":{"candidate":"c"${inner}}${outer}}`;
          const r = parseClientFrame(text);
          if (r.ok) {
            const f = r.value as unknown as Record<string, unknown>;
            const allowed: Record<string, string[]> = {
              join: ['type', 'sessionId', 'resume'],
              offer: ['type', 'sessionId', 'sdp'],
              candidate: ['type', 'sessionId', 'candidate'],
              hangup: ['type', 'sessionId', 'reason'],
              ping: ['type', 'sessionId'],
            };
            for (const k of Object.keys(f)) assert.ok(allowed[type]?.includes(k), `key ${k} leaked into ${type}`);
            assert.equal(f.type, type);
            assert.equal(f.sessionId, ID);
            if (type === 'candidate') {
              for (const k of Object.keys(f.candidate as object)) {
                assert.ok(
                  ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'].includes(k),
                  `key ${k} leaked into candidate`,
                );
              }
            }
          } else {
            assert.ok((Object.values(ErrorCode) as string[]).includes(r.error.code), r.error.code);
          }
          assert.equal(({} as Record<string, unknown>).polluted, undefined);
          assert.equal(protoSnapshot(), baseline);
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('deep nesting (M8)', () => {
  const depth = 32_000;
  const nested = (inner: string) => '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
  test('M8: 32,000 levels inside candidate is BAD_MESSAGE, nothing thrown', () => {
    const text = `{"type":"candidate","sessionId":"${ID}","candidate":${nested('1')}}`;
    assert.doesNotThrow(() => parseClientFrame(text));
    refused(text, ErrorCode.BAD_MESSAGE, ID);
  });

  test('M8: 32,000 levels of arrays as the whole frame is BAD_MESSAGE, nothing thrown', () => {
    const text = '['.repeat(depth) + ']'.repeat(depth);
    assert.doesNotThrow(() => parseClientFrame(text));
    refused(text, ErrorCode.BAD_MESSAGE, null);
  });

  test('M8: deep nesting in an unknown field of a valid offer is stripped, nothing thrown', () => {
    const text = `{"type":"offer","sessionId":"${ID}","sdp":"v=0","junk":${nested('1')}}`;
    assert.deepEqual(okFrame(text), { type: 'offer', sessionId: ID, sdp: 'v=0' });
  });

  test('M8: 1,000,000 levels (beyond any stack) is refused without throwing', () => {
    const big = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    assert.doesNotThrow(() => parseClientFrame(`{"type":"ping","sessionId":"${ID}","x":${big}}`));
    assert.doesNotThrow(() => parseServerFrame(big));
  });
});

describe('builders (frames.ts): exactly the protocol fields', () => {
  test('joinFrame omits an absent resume', () => {
    assert.deepEqual(Object.keys(joinFrame(ID)), ['type', 'sessionId']);
    assert.deepEqual(joinFrame(ID, 't'), { type: 'join', sessionId: ID, resume: 't' });
  });

  test('candidateFrame drops undefined optional fields and copies only the four known ones', () => {
    const smuggled = { candidate: 'c', sdpMid: undefined, foo: 'bar' } as unknown as Parameters<
      typeof candidateFrame
    >[1];
    const f = candidateFrame(ID, smuggled);
    assert.deepEqual(f, { type: 'candidate', sessionId: ID, candidate: { candidate: 'c' } });
    assert.deepEqual(Object.keys(f.candidate), ['candidate']);
  });

  test('hangupFrame omits an absent reason', () => {
    assert.deepEqual(Object.keys(hangupFrame(ID)), ['type', 'sessionId']);
    assert.deepEqual(hangupFrame(ID, 'timeout'), { type: 'hangup', sessionId: ID, reason: 'timeout' });
  });

  test('server frames have exactly their fields', () => {
    assert.deepEqual(Object.keys(joinedFrame(ID, true, 'tok', [])), [
      'type',
      'sessionId',
      'peer',
      'resume',
      'iceServers',
    ]);
    assert.deepEqual(peerFrame(ID, 'away'), { type: 'peer', sessionId: ID, state: 'away' });
    assert.deepEqual(pingFrame(ID), { type: 'ping', sessionId: ID });
    assert.deepEqual(pongFrame(ID), { type: 'pong', sessionId: ID });
  });

  test('errorFrame carries the default message of its code and a null id by default', () => {
    assert.deepEqual(errorFrame(ErrorCode.SESSION_FULL), {
      type: 'error',
      sessionId: null,
      code: 'SESSION_FULL',
      message: 'Сеанс уже занят двумя участниками',
    });
    assert.equal(errorFrame(ErrorCode.NOT_JOINED, ID).sessionId, ID);
  });
});

describe('error messages (protocol.md "Error codes": short human text, no internals)', () => {
  const table: Record<ErrorCode, string> = {
    BAD_MESSAGE: 'Некорректное сообщение',
    BAD_SESSION_ID: 'Некорректная ссылка',
    NOT_JOINED: 'Сначала нужно подключиться к сеансу',
    SESSION_FULL: 'Сеанс уже занят двумя участниками',
    SESSION_ENDED: 'Сеанс завершён',
    SIGNAL_NOT_FOUND: 'Сигнал не найден',
    TOO_LARGE: 'Сообщение слишком большое',
    RATE_LIMITED: 'Слишком много сообщений',
    QUEUE_FULL: 'Собеседник недоступен, сообщение не доставлено',
    SERVER_BUSY: 'Сервер перегружен, попробуйте позже',
  };

  test('every code has exactly the default message of protocol.md', () => {
    assert.deepEqual({ ...ERROR_MESSAGES }, table);
    assert.deepEqual(Object.values(ErrorCode).sort(), Object.keys(table).sort());
  });

  test('every message is 1–200 characters of plain text: no stack, path, braces or code', () => {
    for (const message of Object.values(ERROR_MESSAGES)) {
      assert.ok(message.length >= 1 && message.length <= 200);
      assert.doesNotMatch(message, /[{}<>\\/]|\bat \w|Error|undefined|null|\.ts|\.js/);
    }
  });
});

describe('parseServerFrame (the client side of the wire)', () => {
  const REFUSED = err({ code: 'BAD_MESSAGE', sessionId: null });
  const valid = [
    { type: 'joined', sessionId: ID, peer: false, resume: 'tok', iceServers: [{ urls: 'stun:stun.example.org' }] },
    {
      type: 'joined',
      sessionId: ID,
      peer: true,
      resume: 'tok',
      iceServers: [{ urls: ['turn:a', 'turn:b'], username: 'u', credential: 'c' }],
    },
    { type: 'peer', sessionId: ID, state: 'joined' },
    { type: 'peer', sessionId: ID, state: 'away' },
    { type: 'peer', sessionId: ID, state: 'back' },
    { type: 'peer', sessionId: ID, state: 'left' },
    { type: 'offer', sessionId: ID, sdp: SDP },
    { type: 'answer', sessionId: ID, sdp: SDP },
    { type: 'candidate', sessionId: ID, candidate: { candidate: CAND, sdpMid: '0', sdpMLineIndex: 0 } },
    { type: 'candidate', sessionId: ID, candidate: { candidate: '' } },
    { type: 'hangup', sessionId: ID },
    { type: 'hangup', sessionId: ID, reason: 'timeout' },
    { type: 'pong', sessionId: ID },
    { type: 'error', sessionId: null, code: 'SESSION_FULL', message: 'Сеанс уже занят двумя участниками' },
    { type: 'error', sessionId: ID, code: 'QUEUE_FULL', message: 'x' },
  ];
  for (const frame of valid) {
    test(`accepts ${frame.type} ${'state' in frame ? frame.state : ''}`, () => {
      assert.deepEqual(parseServerFrame(j(frame)), ok(frame));
    });
  }

  test('drops unknown fields and prototype keys', () => {
    const f = parseServerFrame(
      `{"type":"peer","sessionId":"${ID}","state":"back","extra":1,"__proto__":{"polluted":1}}`,
    );
    assert.ok(f.ok);
    assert.deepEqual(f.value, { type: 'peer', sessionId: ID, state: 'back' });
    assert.deepEqual(Object.keys(f.value), ['type', 'sessionId', 'state']);
    const c = parseServerFrame(
      j({ type: 'candidate', sessionId: ID, candidate: { candidate: 'c', sdpMid: null, x: 1 } }),
    );
    assert.deepEqual(c, ok({ type: 'candidate', sessionId: ID, candidate: { candidate: 'c' } }));
  });

  const invalid: unknown[] = [
    null,
    [],
    0,
    'x',
    {},
    { type: '__proto__', sessionId: ID },
    { type: 'constructor', sessionId: ID },
    { type: 'toString', sessionId: ID },
    { type: 'join', sessionId: ID },
    { type: 'ping', sessionId: ID },
    { type: 'joined', sessionId: ID, peer: 'yes', resume: 't', iceServers: [] },
    { type: 'joined', sessionId: ID, peer: true, iceServers: [] },
    { type: 'joined', sessionId: ID, peer: true, resume: 't', iceServers: [{}] },
    { type: 'peer', sessionId: ID, state: 'gone' },
    { type: 'peer', sessionId: 1, state: 'left' },
    { type: 'offer', sessionId: ID },
    { type: 'candidate', sessionId: ID, candidate: 'c' },
    { type: 'error', sessionId: ID, code: 'NOPE', message: 'x' },
    { type: 'error', sessionId: ID, code: 'BAD_MESSAGE' },
    { type: 'error', sessionId: undefined, code: 'BAD_MESSAGE', message: 'x' },
  ];
  for (const frame of invalid) {
    test(`refuses ${j(frame)?.slice(0, 60)}`, () => {
      assert.deepEqual(parseServerFrame(j(frame)), REFUSED);
    });
  }

  test('refuses not-JSON text', () => {
    for (const text of ['', '{', 'undefined', '\uFEFF{}']) assert.deepEqual(parseServerFrame(text), REFUSED);
  });
});
