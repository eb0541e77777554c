// Handshake and session identity over real wss: protocol.md rules 1, 2 and 4, reliability.md H5, S2, S4, R2.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import {
  assertError,
  assertLogsClean,
  expectError,
  expectQuiet,
  expectQuietVia,
  joinPair,
  offer,
} from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';

let server: RunningServer;
/** A server with a short join timeout, for the S4 tests only. */
let short: RunningServer;
const faults = useIntegrationSuite();
/** Every id and token this file used, for the log check at the end. */
const secrets: string[] = [];

before(async () => {
  server = await startServer({ '--sockets-per-address': '500' });
  short = await startServer({ '--join-timeout': '400ms' });
});

const connect = () => TestClient.connect(server.wsUrl);

describe('join (rule 1)', () => {
  test('rule 1: the first join creates the session (peer false), the second joins it (peer true), the first is told peer joined', async () => {
    const id = uuid();
    const a = await connect();
    const ja = await a.join(id);
    assert.deepEqual(Object.keys(ja).sort(), ['iceServers', 'peer', 'resume', 'sessionId', 'type']);
    assert.equal(ja.sessionId, id);
    assert.equal(ja.peer, false);
    assert.equal(typeof ja.resume, 'string');
    assert.ok((ja.resume as string).length >= 16);
    // By default only the built-in STUN/TURN server, on this server's own host: never a third party.
    const urls = (ja.iceServers as Array<{ urls: string[] }>).flatMap((x) => x.urls);
    assert.ok(
      urls.length > 0 && urls.every((u) => /^turns?:127\.0\.0\.1:\d+\?transport=(udp|tcp)$/.test(u)),
      String(urls),
    );
    const b = await connect();
    const jb = await b.join(id);
    assert.equal(jb.peer, true);
    assert.equal(jb.sessionId, id);
    assert.notEqual(jb.resume, ja.resume);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    await expectQuiet(a, id);
    await expectQuiet(b, id);
    secrets.push(id, ja.resume as string, jb.resume as string);
  });

  test('rule 1 / S2: a third socket gets SESSION_FULL then close 1008; the two attached see nothing', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const c = await connect();
    c.send({ type: 'join', sessionId: id });
    await expectError(c, 'SESSION_FULL', [id, null]);
    assert.equal((await c.waitClose()).code, 1008);
    await expectQuiet(a, id);
    await expectQuiet(b, id);
    // The pair still relays.
    await expectQuietVia(a, b, id, 'after-third');
    secrets.push(id);
  });

  test('S2: three simultaneous joins into 20 fresh ids admit exactly two each time', async () => {
    for (let race = 0; race < 20; race++) {
      await (async () => {
        const id = uuid();
        const trio = await Promise.all([connect(), connect(), connect()]);
        for (const c of trio) c.send({ type: 'join', sessionId: id });
        const first = await Promise.all(trio.map((c) => c.next()));
        const joined = first.filter((f) => f.type === 'joined');
        const refused = first.filter((f) => f.type === 'error');
        assert.equal(joined.length, 2, JSON.stringify(first));
        assert.equal(refused.length, 1);
        assertError(refused[0]!, 'SESSION_FULL', [id, null]);
        assert.deepEqual(joined.map((f) => f.peer).sort(), [false, true]);
      })();
    }
  });

  test('H5: upper- and lower-case ids name one session, and every server frame carries the lower-case id', async () => {
    const id = uuid();
    const a = await connect();
    const ja = await a.join(id.toUpperCase());
    assert.equal(ja.sessionId, id);
    const b = await connect();
    const jb = await b.join(id);
    assert.equal(jb.peer, true);
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
    // A relayed frame sent with a mixed-case id arrives with the lower-case one.
    a.send({ type: 'offer', sessionId: id.toUpperCase(), sdp: 'v=0 case' });
    assert.deepEqual(await b.next('offer'), { type: 'offer', sessionId: id, sdp: 'v=0 case' });
    b.send({ type: 'ping', sessionId: id.toUpperCase() });
    assert.deepEqual(await b.next('pong'), { type: 'pong', sessionId: id });
    // A third joiner using the upper-case form is the same session: full.
    const c = await connect();
    c.send({ type: 'join', sessionId: id.toUpperCase() });
    await expectError(c, 'SESSION_FULL', [id, null]);
    secrets.push(id);
  });

  test('a second join on a joined socket is BAD_MESSAGE (another id: rule 4, SIGNAL_NOT_FOUND) and changes nothing', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.send({ type: 'join', sessionId: id });
    await expectError(a, 'BAD_MESSAGE', [id, null]);
    // Rule 4 checks the id first: a join for another id is a frame for another id.
    a.send({ type: 'join', sessionId: uuid() });
    await expectError(a, 'SIGNAL_NOT_FOUND', id);
    await expectQuietVia(a, b, id, 'still');
    await expectQuiet(a, id);
    assert.ok(a.isOpen);
  });
});

describe('iceServers in joined (protocol.md "Frames", T1)', () => {
  test('by default: the built-in TURN server with a credential per participant, each a REST username', async () => {
    const id = uuid();
    const a = await connect();
    const b = await connect();
    const [ja, jb] = [await a.join(id), await b.join(id)];
    type Entry = { urls: string[]; username: string; credential: string };
    const [ea] = ja.iceServers as Entry[];
    const [eb] = jb.iceServers as Entry[];
    assert.ok(ea && eb);
    assert.match(ea.urls[0] ?? '', /^turn:127\.0\.0\.1:\d+\?transport=udp$/);
    assert.match(ea.username, /^\d+:[A-Za-z0-9_-]{16}$/);
    assert.notEqual(ea.username.split(':')[1], eb.username.split(':')[1], 'one credential per participant');
    assert.ok(
      !ea.username.includes(id) && !ea.credential.includes(id),
      'the credential does not reveal the session id',
    );
    a.close();
    b.close();
  });

  test('joined carries the configured STUN and TURN servers; TURN credentials are coturn REST (HMAC-SHA1) and end no later than the session', async () => {
    const turnSecret = 'turn-static-auth-secret-for-tests';
    const s = await startServer({
      '--stun-urls': 'stun:stun.example.org:3478',
      '--turn-urls': 'turn:turn.example.org:3478?transport=udp',
      '--turn-secret': turnSecret,
      '--session-lifetime': '1h',
    });
    const c = await TestClient.connect(s.wsUrl);
    const before = Date.now();
    const j = await c.join(uuid());
    const servers = j.iceServers as Array<{ urls: string | string[]; username?: string; credential?: string }>;
    const urls = servers.flatMap((x) => (Array.isArray(x.urls) ? x.urls : [x.urls]));
    assert.ok(urls.includes('stun:stun.example.org:3478'), JSON.stringify(urls));
    assert.ok(urls.includes('turn:turn.example.org:3478?transport=udp'), JSON.stringify(urls));
    const turn = servers.find((x) => [x.urls].flat().some((u) => u.startsWith('turn:')));
    assert.ok(turn?.username && turn.credential, 'TURN entry has a username and a credential');
    assert.equal(turn.credential, createHmac('sha1', turnSecret).update(turn.username).digest('base64'));
    const expiry = Number(turn.username.split(':')[0]) * 1000;
    assert.ok(expiry > before, 'not already expired');
    assert.ok(expiry <= before + 3600_000 + 5000, 'expires no later than the session lifetime');
    assert.ok(!c.raw.join('').includes(turnSecret), 'the TURN secret never reaches a client');
    await s.close();
  });
});

describe('frames before join (rule 4, S4, R7)', () => {
  test('rule 4: a frame before join gets NOT_JOINED, is not relayed, and the socket stays open', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    const s = await connect();
    for (const frame of [
      offer(id, 'early'),
      { type: 'candidate', sessionId: id, candidate: { candidate: '' } },
      { type: 'hangup', sessionId: id },
    ]) {
      s.send(frame);
      await expectError(s, 'NOT_JOINED', [id, null]);
    }
    await expectQuiet(a, id);
    await expectQuiet(b, id);
    assert.ok(s.isOpen);
  });

  test('rule 4: a ping before join is NOT_JOINED, not pong; the socket can still join afterwards', async () => {
    const s = await connect();
    const id = uuid();
    s.send({ type: 'ping', sessionId: id });
    await expectError(s, 'NOT_JOINED', [id, null]);
    const j = await s.join(id);
    assert.equal(j.peer, false);
  });

  test('S4: no join within the join timeout gives NOT_JOINED then close 1008', async () => {
    const s = await TestClient.connect(short.wsUrl);
    const opened = Date.now();
    await expectError(s, 'NOT_JOINED', null);
    const { code } = await s.waitClose(3000);
    assert.equal(code, 1008);
    // --join-timeout 400ms, plus slack for a loaded machine.
    assert.ok(Date.now() - opened < 400 + 1500, `closed after ${Date.now() - opened} ms`);
  });

  test('S4: a socket that only sends garbage is still closed at the join timeout', async () => {
    const s = await TestClient.connect(short.wsUrl);
    s.send('{');
    await expectError(s, 'BAD_MESSAGE', null);
    assert.equal((await s.waitClose(3000)).code, 1008);
  });

  test('S4: a joined socket is not closed by the join timeout', async () => {
    const s = await TestClient.connect(short.wsUrl);
    const id = uuid();
    await s.join(id);
    // A witness opened later is closed by its join timeout; s's, armed earlier, would have fired first.
    const witness = await TestClient.connect(short.wsUrl);
    await expectError(witness, 'NOT_JOINED', null);
    assert.equal((await witness.waitClose(3000)).code, 1008);
    await expectQuiet(s, id);
    assert.ok(s.isOpen);
  });
});

describe('session ids (H5)', () => {
  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['spaces around', ` ${uuid()} `],
    ['nil UUID', '00000000-0000-0000-0000-000000000000'],
    ['37 characters', `${uuid()}a`],
    ['in braces', `{${uuid()}}`],
    ['URL-encoded', encodeURIComponent(`{${uuid()}}`)],
    ['8 KiB long', 'a'.repeat(8192)],
    ['a Cyrillic homoglyph', 'а'.repeat(8) + uuid().slice(8)],
    ['../', '../../etc/passwd'],
    ['%00', `${uuid().slice(0, 33)}%00`],
  ];
  for (const [name, sessionId] of bad) {
    test(`H5: join with a ${name} id is BAD_SESSION_ID without echo; nothing created, the socket may join a valid id`, async () => {
      const s = await connect();
      const text = JSON.stringify({ type: 'join', sessionId });
      s.send(text);
      await expectError(s, 'BAD_SESSION_ID', null, text);
      const j = await s.join(uuid());
      assert.equal(j.peer, false);
    });
  }

  test('H5: a missing or non-string sessionId is BAD_MESSAGE', async () => {
    const s = await connect();
    s.send({ type: 'join' });
    await expectError(s, 'BAD_MESSAGE', null);
    s.send({ type: 'join', sessionId: 42 });
    await expectError(s, 'BAD_MESSAGE', null);
    s.send({ type: 'join', sessionId: null });
    await expectError(s, 'BAD_MESSAGE', null);
  });
});

describe('a frame for another id (rule 4, M12)', () => {
  test('rule 4: a frame whose sessionId is not the joined one gets SIGNAL_NOT_FOUND with the own id; nothing relayed; the socket is not moved', async () => {
    const p = await joinPair(server.wsUrl);
    const q = await joinPair(server.wsUrl);
    p.a.send(offer(q.id, 'cross'));
    await expectError(p.a, 'SIGNAL_NOT_FOUND', p.id);
    p.a.send({ type: 'candidate', sessionId: q.id, candidate: { candidate: '' } });
    await expectError(p.a, 'SIGNAL_NOT_FOUND', p.id);
    p.a.send({ type: 'hangup', sessionId: q.id });
    await expectError(p.a, 'SIGNAL_NOT_FOUND', p.id);
    await expectQuiet(q.a, q.id);
    // Still in its own session, which still works; the other pair is untouched.
    await expectQuietVia(p.a, p.b, p.id, 'own');
    await expectQuietVia(q.a, q.b, q.id, 'q');
    await expectQuiet(p.a, p.id);
    assert.ok(p.a.isOpen && q.a.isOpen && q.b.isOpen);
  });

  test('rule 4: the id is checked before the body: a bad body for another id is SIGNAL_NOT_FOUND', async () => {
    const p = await joinPair(server.wsUrl);
    p.a.send({ type: 'offer', sessionId: uuid(), sdp: 42 });
    await expectError(p.a, 'SIGNAL_NOT_FOUND', p.id);
    await expectQuietVia(p.a, p.b, p.id);
  });
});

describe('ping (protocol.md "Frames")', () => {
  test('ping is answered by pong and never relayed', async () => {
    const { id, a, b } = await joinPair(server.wsUrl);
    a.send({ type: 'ping', sessionId: id, extra: 'x' });
    assert.deepEqual(await a.next('pong'), { type: 'pong', sessionId: id });
    a.send({ type: 'ping', sessionId: id });
    assert.deepEqual(await a.next('pong'), { type: 'pong', sessionId: id });
    await expectQuietVia(a, b, id);
  });

  test('a lone participant gets pong too', async () => {
    const s = await connect();
    const id = uuid();
    await s.join(id);
    s.send({ type: 'ping', sessionId: id });
    assert.deepEqual(await s.next('pong'), { type: 'pong', sessionId: id });
  });
});

describe('resume tokens (rule 2, R2)', () => {
  const variants = (token: string): Array<[string, string]> => [
    ['last character changed', token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')],
    ['first character changed', (token.startsWith('A') ? 'B' : 'A') + token.slice(1)],
    ['truncated', token.slice(0, -2)],
    ['prefix only', token.slice(0, 8)],
    ['extended', `${token}AA`],
    [
      'random base64url of the same length',
      Buffer.from(Array.from({ length: token.length }, () => Math.floor(Math.random() * 256)))
        .toString('base64url')
        .slice(0, token.length),
    ],
    ['not base64url', '!!!!$$$$****'],
    ['a single character', 'x'],
    ['empty', ''],
    ['300 characters', 'A'.repeat(300)],
    ['reversed', [...token].reverse().join('')],
  ];

  test('rule 2 / R2: a forged or garbled token is SIGNAL_NOT_FOUND, nothing attached, the pair untouched', async () => {
    const { id, a, b, ja } = await joinPair(server.wsUrl);
    for (const [name, forged] of variants(ja.resume as string)) {
      const s = await connect();
      const text = JSON.stringify({ type: 'join', sessionId: id, resume: forged });
      s.send(text);
      const f = await s.next();
      assert.equal(f.code, 'SIGNAL_NOT_FOUND', `${name}: ${JSON.stringify(f)}`);
      assertError(f, 'SIGNAL_NOT_FOUND', [id, null], text);
      s.ws.terminate();
    }
    await expectQuiet(a, id);
    await expectQuietVia(a, b, id, 'alive');
  });

  test("rule 2: a token never opens another session (X's token for Y is SIGNAL_NOT_FOUND and creates nothing in Y)", async () => {
    const x = await joinPair(server.wsUrl);
    const y = uuid();
    const s = await connect();
    s.send({ type: 'join', sessionId: y, resume: x.jb.resume });
    await expectError(s, 'SIGNAL_NOT_FOUND', [y, null]);
    // Nothing was created in Y: a fresh joiner is first there.
    const t = await connect();
    assert.equal((await t.join(y)).peer, false);
    // And X is untouched: both still attached.
    await expectQuiet(x.a, x.id);
    await expectQuiet(x.b, x.id);
    assert.ok(x.a.isOpen && x.b.isOpen);
    secrets.push(x.id, y, x.ja.resume as string, x.jb.resume as string);
  });
});

test('rule 8: no log line of this file carries a session id, token, SDP or IP', () => {
  assertLogsClean(server.logs, secrets);
  assert.ok(
    server.logs.some((l) => /"session":"[A-Za-z0-9_-]{12}"/.test(l)),
    'sessions are logged by a 12-char keyed hash',
  );
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
