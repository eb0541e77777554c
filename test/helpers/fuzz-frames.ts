// fast-check arbitraries for the fuzz tier (reliability.md F9, M1–M13): what one connection
// sends. A *body* of frames that are well framed (any text, JSON-level garbage, valid messages
// mutated, fragmented messages, pings), so the server handles each one, then a *tail* of
// frame-level lies (random FIN/RSV/opcode, unmasked, lying lengths, truncation, fragment floods,
// invalid UTF-8, oversize, bad close frames) that usually end the connection.
import fc from 'fast-check';
import { Opcode, type RawFrame, closePayload, encodeFrame, frame, textFrame } from './raw-ws.js';

const MAX_FRAME = 64 * 1024;
const MAX_FRAGMENTS = 64;

/** Keys that must never reach a prototype (M4, M5), and the protocol's own keys. */
const KEYS = ['type', 'sessionId', 'sdp', 'candidate', 'resume', 'reason', 'peer', 'state', 'code', 'message'];
const EVIL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const TYPES = ['join', 'offer', 'answer', 'candidate', 'hangup', 'ping', 'pong', 'joined', 'peer', 'error'];

/** A JSON object written by hand, so keys may repeat and `__proto__` is an own key on the wire. */
const objectText = (entries: Array<[string, string]>) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/**
 * Any code points, lone surrogates included (what `fc.string({ unit: 'binary' })` gives, without
 * the million-entry reverse mapping it builds for shrinking, seconds of CPU per instance).
 */
const anyText = (maxLength: number) =>
  fc
    .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength })
    .map((cps) =>
      cps.map((c) => (c >= 0xd800 && c <= 0xdfff ? String.fromCharCode(c) : String.fromCodePoint(c))).join(''),
    );

const anyValueText = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.constantFrom('1e308', '-0', '1e999', '"\\ud800"', 'null', '[]', '{}', '""') },
  { weight: 1, arbitrary: anyText(40).map((s) => JSON.stringify(s)) },
);

/** A message-shaped object: protocol keys with good or bad values, prototype keys, extras. */
function messageText(ids: string[]): fc.Arbitrary<string> {
  const id = fc.oneof(fc.constantFrom(...ids), fc.uuid(), fc.string({ maxLength: 40 }));
  const candidate = fc
    .record(
      {
        candidate: fc.oneof(fc.constant(''), fc.string({ maxLength: 80 }), fc.integer()),
        sdpMid: fc.oneof(fc.constant('0'), fc.string({ maxLength: 70 }), fc.constant(null)),
        sdpMLineIndex: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.double(), fc.constant(2 ** 31)),
        usernameFragment: fc.string({ maxLength: 20 }),
      },
      { requiredKeys: [] },
    )
    .map((c) => JSON.stringify(c));
  const value = (key: string): fc.Arbitrary<string> => {
    switch (key) {
      case 'type':
        return fc.oneof(
          fc.constantFrom(...TYPES, ...EVIL_KEYS, 'OFFER', ' offer ').map((t) => JSON.stringify(t)),
          anyValueText,
        );
      case 'sessionId':
        return id.map((s) => JSON.stringify(s));
      case 'sdp':
        return fc.oneof(
          fc.constant('"v=0\\r\\n"'),
          fc.string({ maxLength: 200 }).map((s) => JSON.stringify(s)),
        );
      case 'candidate':
        return fc.oneof(candidate, anyValueText);
      default:
        return anyValueText;
    }
  };
  const entry = fc
    .constantFrom(...KEYS, ...EVIL_KEYS, 'from', 'to', 'queue', 'x')
    .chain((key) => fc.tuple(fc.constant(key), fc.oneof(value(key), anyValueText)));
  const evil = fc.tuple(
    fc.constantFrom(...EVIL_KEYS),
    fc.constantFrom('{"polluted":1}', '{"prototype":{"polluted":1}}', '{"__proto__":{"polluted":1}}'),
  );
  return fc
    .tuple(fc.constantFrom(...TYPES), id, fc.array(entry, { maxLength: 6 }), fc.array(evil, { maxLength: 2 }))
    .map(([type, sid, extra, proto]) =>
      objectText([['type', JSON.stringify(type)], ['sessionId', JSON.stringify(sid)], ...extra, ...proto]),
    );
}

/** Byte-level mutations of a text: flips, deletions, insertions (near-valid JSON). */
const mutated = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(
      text,
      fc.array(
        fc.tuple(fc.nat(), fc.constantFrom('flip', 'drop', 'insert'), fc.string({ minLength: 1, maxLength: 1 })),
        { maxLength: 4 },
      ),
    )
    .map(([t, edits]) => {
      let s = t;
      for (const [at, kind, ch] of edits) {
        const i = s.length === 0 ? 0 : at % s.length;
        if (kind === 'drop') s = s.slice(0, i) + s.slice(i + 1);
        else if (kind === 'insert') s = s.slice(0, i) + ch + s.slice(i);
        else s = s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) || 32) ^ 0x20) + s.slice(i + 1);
      }
      return s;
    });

/** JSON-level garbage in a well-formed text frame (M1–M10). */
function jsonLevelText(ids: string[]): fc.Arbitrary<string> {
  const message = messageText(ids);
  return fc.oneof(
    { weight: 30, arbitrary: message },
    { weight: 15, arbitrary: mutated(message) },
    { weight: 10, arbitrary: anyValueText },
    { weight: 5, arbitrary: anyText(100) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...ids), fc.integer({ min: 1, max: 30_000 }), fc.constantFrom('[', '{"a":'))
        .map(([sid, depth, open]) => {
          const close = open === '[' ? ']' : '}';
          return `{"type":"candidate","sessionId":"${sid}","candidate":${open.repeat(depth)}1${close.repeat(depth)}}`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ids),
          fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: 1000, max: 8000 }) },
            { weight: 1, arbitrary: fc.integer({ min: MAX_FRAME - 1000, max: MAX_FRAME - 100 }) },
          ),
        )
        .map(([sid, n]) => `{"type":"offer","sessionId":"${sid}","sdp":"${'a'.repeat(n)}"}`),
    },
  );
}

/** A message split into 2..64 fragments (some empty), possibly with a ping in between: valid framing. */
const fragmented = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.array(fc.nat(), { minLength: 1, maxLength: MAX_FRAGMENTS - 1 }), fc.boolean())
    .map(([t, cuts, ping]) => {
      const bytes = Buffer.from(t, 'utf8');
      const points = cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))).sort((a, b) => a - b);
      const edges = [0, ...points, bytes.length];
      const frames: RawFrame[] = [];
      for (let i = 0; i + 1 < edges.length; i++) {
        const last = i + 2 === edges.length;
        frames.push(frame(i === 0 ? Opcode.TEXT : Opcode.CONTINUATION, bytes.subarray(edges[i], edges[i + 1]), last));
        if (ping && i === 0 && !last) frames.push(frame(Opcode.PING, Buffer.from('mid')));
      }
      return frames;
    });

/** Frames the server must handle one by one without a protocol error. */
function bodyFrames(ids: string[]): fc.Arbitrary<RawFrame[]> {
  const text = jsonLevelText(ids);
  return fc.oneof(
    { weight: 20, arbitrary: text.map((t) => [textFrame(t)]) },
    { weight: 2, arbitrary: fragmented(text) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(Opcode.PING, Opcode.PONG), fc.uint8Array({ maxLength: 125 }))
        .map(([op, p]) => [frame(op, p)]),
    },
  );
}

/** Frame-level lies: anything at all, mostly the end of the connection. */
function tailFrames(ids: string[]): fc.Arbitrary<RawFrame[]> {
  const randomHeader = fc
    .record({
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      opcode: fc.integer({ min: 0, max: 15 }),
      masked: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      payload: fc.uint8Array({ maxLength: 300 }),
      lie: fc.option(fc.oneof(fc.bigInt({ min: 0n, max: 70_000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))),
      lengthForm: fc.constantFrom('minimal' as const, '16' as const, '64' as const),
    })
    .map(({ lie, ...f }): RawFrame[] => [lie === null ? f : { ...f, declaredLength: lie }]);
  const text = jsonLevelText(ids);
  return fc.oneof(
    { weight: 8, arbitrary: randomHeader },
    // Fragment floods (F5): past the 64-fragment limit, or thousands of empty fragments.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: MAX_FRAGMENTS + 1, max: 200 }), fc.boolean())
        .map(([n, empty]) =>
          Array.from({ length: n }, (_, i) =>
            frame(i === 0 ? Opcode.TEXT : Opcode.CONTINUATION, Buffer.from(empty ? '' : 'x'), i === n - 1),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          { weight: 9, arbitrary: fc.integer({ min: 100, max: 1000 }) },
          { weight: 1, arbitrary: fc.constant(10_000) },
        )
        .map((n) => [
          frame(Opcode.TEXT, Buffer.alloc(0), false),
          ...Array.from({ length: n }, () => frame(Opcode.CONTINUATION, Buffer.alloc(0), false)),
        ]),
    },
    // Invalid UTF-8 (F3), oversize (F1), a binary frame (F2).
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 50 })
        .map((b) => [frame(Opcode.TEXT, Buffer.concat([Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff])]))]),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_FRAME + 1, max: 3 * MAX_FRAME })
        .map((n) => [frame(Opcode.TEXT, Buffer.alloc(n, 0x61))]),
    },
    { weight: 1, arbitrary: text.map((t) => [frame(Opcode.BINARY, Buffer.from(t))]) },
    // Control frames out of bounds (F4, F8): long or fragmented pings, bad close codes and reasons.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 126, max: 1000 }), fc.boolean())
        .map(([n, fin]) => [frame(Opcode.PING, Buffer.alloc(n), fin)]),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom(999, 1000, 1004, 1005, 1006, 1015, 3000, 4999, 5000),
            fc.integer({ min: 0, max: 65_535 }),
          ),
          fc.oneof(fc.string({ maxLength: 20 }), fc.constant('r'.repeat(124))),
          fc.constantFrom('code', 'one-byte', 'bad-utf8'),
        )
        .map(([code, reason, kind]) => {
          const payload =
            kind === 'one-byte'
              ? Buffer.from([3])
              : kind === 'bad-utf8'
                ? Buffer.concat([closePayload(code), Buffer.from([0xed, 0xa0, 0x80])])
                : closePayload(code, reason);
          return [frame(Opcode.CLOSE, payload)];
        }),
    },
  );
}

/** One connection of the fuzz: optionally joined first, then its body, then its tail. */
export interface FuzzScript {
  /** Index into the run's session ids to join first, or null to stay unjoined. */
  join: number | null;
  frames: RawFrame[];
  /** Cut the encoded bytes here (a truncated payload); null to send them whole. */
  truncateAt: number | null;
}

export function fuzzScript(ids: string[], bodyLength: { min: number; max: number }): fc.Arbitrary<FuzzScript> {
  return fc
    .record({
      join: fc.option(fc.nat({ max: ids.length - 1 }), { freq: 3 }), // joined in 2 of 3
      body: fc.array(bodyFrames(ids), { minLength: bodyLength.min, maxLength: bodyLength.max }),
      tail: fc.array(tailFrames(ids), { maxLength: 2 }),
      truncateAt: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
    })
    .map(({ join, body, tail, truncateAt }) => ({ join, frames: [...body.flat(), ...tail.flat()], truncateAt }));
}

/** The bytes a script writes (after its join), and how many frames they hold. */
export function scriptBytes(script: FuzzScript): Buffer {
  const bytes = Buffer.concat(script.frames.map(encodeFrame));
  return script.truncateAt === null ? bytes : bytes.subarray(0, script.truncateAt % (bytes.length + 1));
}
