// Bad frames over real wss: reliability.md F1, F2, M1–M4, M8, M11, M13; protocol.md "Error codes".
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import {
  assertError,
  expectError,
  expectQuiet,
  expectQuietVia,
  joinPair,
  offer,
  waitFor,
} from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
const faults = useIntegrationSuite();

const MAX_FRAME = 65_536; // the default --max-frame-bytes

before(async () => {
  server = await startServer({ '--sockets-per-address': '500', '--join-timeout': '3s' });
});

const connect = () => TestClient.connect(server.wsUrl);

/** Sends each text on a fresh joined socket (error replies are throttled per socket) and checks the reply. */
async function expectBadMessage(texts: string[], joined: boolean) {
  for (const text of texts) {
    const s = await connect();
    const id = uuid();
    if (joined) await s.join(id);
    // SESSION_ID in a text stands for the id this socket joined (rule 4 would refuse another id first).
    s.send(text.replaceAll('SESSION_ID', id));
    const f = await s.next();
    assert.equal(f.type, 'error', `for ${JSON.stringify(text.slice(0, 60))}: ${JSON.stringify(f)}`);
    assertError(f, 'BAD_MESSAGE', joined ? [id, null] : null, text);
    // Ordering proof that the socket was not closed after the reply: a close would come first.
    if (joined) await expectQuiet(s, id);
    else assert.equal((await s.join(id)).peer, false);
    assert.ok(s.isOpen, `closed after ${JSON.stringify(text.slice(0, 60))}`);
    s.ws.terminate();
  }
}

describe('malformed text frames (M1–M4): BAD_MESSAGE, no echo, the socket stays open', () => {
  const notJson = ['', ' ', '{', '\u0000', '\uFEFF{"type":"ping"}', `${'a'.repeat(60_000)}`, "{'type':'join'}"];
  const notObject = ['null', 'true', '0', '"x"', '[]', '[{}]'];
  const badType = (id: string) =>
    [
      undefined,
      5,
      'OFFER',
      ' offer ',
      'offer\u0000',
      'x'.repeat(10_000),
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'joined',
      'error',
    ].map((type) => JSON.stringify({ type, sessionId: id, sdp: 'v=0' }));

  test('M1: not JSON, before join', () => expectBadMessage(notJson, false));
  test('M1: not JSON, after join', () => expectBadMessage(notJson, true));
  test('M2: JSON that is not an object (the seed server crashes on null)', () => expectBadMessage(notObject, true));
  test('M3/M4: unknown, ill-typed and prototype-named types, never echoed', () =>
    expectBadMessage(badType(uuid()), true));
  test('M3/M4: the same before join are BAD_MESSAGE too (not NOT_JOINED)', () =>
    expectBadMessage(badType(uuid()).slice(5, 10), false));

  test('M8: 32,000 levels of nesting inside candidate (under the frame limit) is BAD_MESSAGE; the server survives', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const depth = 32_000;
    a.send(`{"type":"candidate","sessionId":"${id}","candidate":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    await expectError(a, 'BAD_MESSAGE', [id, null]);
    await expectQuietVia(a, b, id, 'after-nesting');
  });

  test('M5: prototype-pollution payloads do not pollute the server process', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.send(`{"type":"offer","sessionId":"${id}","sdp":"v=0","__proto__":{"polluted":1}}`);
    a.send(`{"type":"offer","sessionId":"${id}","sdp":"v=0","constructor":{"prototype":{"polluted":1}}}`);
    a.send(`{"__proto__":{"type":"offer"},"sessionId":"${id}","sdp":"v=0"}`);
    await b.next('offer');
    await b.next('offer');
    await expectError(a, 'BAD_MESSAGE', [id, null]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(({} as Record<string, unknown>).type, undefined);
  });
});

describe('error replies (M11, M13)', () => {
  test('M11: 40 bad frames at once get a small burst of error replies, not 40', async () => {
    const s = await connect();
    const id = uuid();
    await s.join(id);
    for (let i = 0; i < 40; i++) s.send('{');
    // The pong to a later ping comes after every reply the 40 frames got.
    s.send({ type: 'ping', sessionId: id });
    const errors = [];
    for (let f = await s.next(); f.type !== 'pong'; f = await s.next()) errors.push(f);
    assert.ok(errors.length >= 1 && errors.length <= 7, `${errors.length} error replies`);
    for (const f of errors) assertError(f, 'BAD_MESSAGE', [id, null]);
  });

  test('M1/M11/D7: a flood of 300 bad frames counts against the rate limiter (close 1008), with few error replies and few log lines', async () => {
    const s = await connect();
    await s.join(uuid());
    const logsBefore = server.logs.length;
    for (let i = 0; i < 300; i++) s.send('{');
    assert.equal((await s.waitClose()).code, 1008);
    // The session layer's line for the closed socket is the last one it causes (until the grace ends).
    await waitFor('the closed socket logged', () =>
      server.logs.slice(logsBefore).some((l) => /"event":"(away|left)"/.test(l)),
    );
    const errors = s.frames.filter((f) => f.type === 'error');
    assert.ok(errors.length >= 1 && errors.length <= 8, `${errors.length} error replies`);
    for (const f of errors) assert.ok(['BAD_MESSAGE', 'RATE_LIMITED'].includes(f.code as string), JSON.stringify(f));
    const added = server.logs.slice(logsBefore);
    assert.ok(added.length <= 20, `${added.length} log lines for one flooding socket`);
  });

  test('M13: error replies never echo a long input', async () => {
    const marker = 'ECHO-CANARY-0123456789abcdefghij';
    await expectBadMessage(
      [
        `{"type":"${marker}","sessionId":"${uuid()}"}`,
        `{"type":"offer","sessionId":"SESSION_ID","sdp":{"x":"${marker}"}}`,
      ],
      true,
    );
    const s = await connect();
    s.send(`{"type":"join","sessionId":"${marker}"}`);
    const f = await s.next('error');
    assert.ok(!JSON.stringify(f).includes('CANARY'));
  });
});

describe('binary and oversized frames (F1, F2)', () => {
  test('F2: a binary frame (even of valid JSON) gets BAD_MESSAGE then close 1003, before join', async () => {
    const s = await connect();
    s.sendBinary(Buffer.from(JSON.stringify({ type: 'join', sessionId: uuid() })));
    await expectError(s, 'BAD_MESSAGE', null);
    assert.equal((await s.waitClose()).code, 1003);
  });

  test('F2: a binary frame after join gets BAD_MESSAGE then close 1003; nothing relayed', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.sendBinary(Buffer.from(JSON.stringify(offer(id, 'bin'))));
    await expectError(a, 'BAD_MESSAGE', [id, null]);
    assert.equal((await a.waitClose()).code, 1003);
    assert.deepEqual(
      b.pending().filter((f) => f.type === 'offer'),
      [],
    );
  });

  test('F1: a frame of exactly --max-frame-bytes is accepted and relayed (padding stripped)', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const head = `{"type":"offer","sessionId":"${id}","sdp":"v=0 big","pad":"`;
    const text = `${head}${'p'.repeat(MAX_FRAME - head.length - 2)}"}`;
    assert.equal(Buffer.byteLength(text), MAX_FRAME);
    a.send(text);
    assert.deepEqual(await b.next('offer'), { type: 'offer', sessionId: id, sdp: 'v=0 big' });
    assert.ok(a.isOpen);
  });

  test('F1: one byte over --max-frame-bytes gets TOO_LARGE then close 1009; nothing relayed', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const head = `{"type":"offer","sessionId":"${id}","sdp":"v=0 big","pad":"`;
    const text = `${head}${'p'.repeat(MAX_FRAME + 1 - head.length - 2)}"}`;
    assert.equal(Buffer.byteLength(text), MAX_FRAME + 1);
    a.send(text);
    await expectError(a, 'TOO_LARGE', [id, null], text);
    assert.equal((await a.waitClose()).code, 1009);
    assert.deepEqual(
      b.pending().filter((f) => f.type === 'offer'),
      [],
    );
  });

  test('F1: far over the limit (3× the frame size) is closed 1009', async () => {
    const s = await connect();
    s.send('a'.repeat(3 * MAX_FRAME));
    assert.equal((await s.waitClose()).code, 1009);
  });

  test('F1/S3: a socket refused as third that at once sends an oversized frame does not hurt the server', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const c = await connect();
    c.send({ type: 'join', sessionId: id });
    c.send('a'.repeat(MAX_FRAME + 10));
    await c.waitClose();
    a.send(offer(id, 'fine'));
    assert.deepEqual(await b.next('offer'), offer(id, 'fine'));
  });
});

describe('protocol-level faults (F3, F5)', () => {
  test('F3: invalid UTF-8 in a text frame closes 1007; the pair of another session is untouched', async () => {
    const other = await joinPair(server.wsUrl);
    const s = await connect();
    await s.join(uuid());
    s.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    assert.equal((await s.waitClose()).code, 1007);
    other.a.send(offer(other.id, 'utf8'));
    assert.deepEqual(await other.b.next('offer'), offer(other.id, 'utf8'));
  });

  test('F5: a message in 64 fragments is accepted and relayed; 65 fragments close 1008', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const send = (text: string, parts: number) => {
      const size = Math.ceil(text.length / parts);
      for (let i = 0; i < parts; i++) {
        a.ws.send(text.slice(i * size, (i + 1) * size), { fin: i === parts - 1 });
      }
    };
    const frame = JSON.stringify(offer(id, `fragments-${'f'.repeat(400)}`));
    send(frame, 64);
    assert.deepEqual(await b.next('offer'), offer(id, `fragments-${'f'.repeat(400)}`));
    send(JSON.stringify(offer(id, `too-many-${'f'.repeat(400)}`)), 65);
    assert.equal((await a.waitClose()).code, 1008);
    assert.deepEqual(
      b.pending().filter((f) => f.type === 'offer'),
      [],
    );
  });
});

test('survives: a fresh session connects after all of the above', async () => {
  const s = await connect();
  assert.equal((await s.join(uuid())).peer, false);
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
