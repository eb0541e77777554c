// The server as a process: SIGTERM (reliability.md X4), kill -9 and restart (rule 7, X5), and its
// stdout logs (rule 8, D7). Spawns `node --import tsx src/server/main.ts` on 127.0.0.1, port 0.
import assert from 'node:assert/strict';
import { get } from 'node:https';
import type { Socket } from 'node:net';
import { after, afterEach, describe, test } from 'node:test';
import { closeAllClients, TestClient, tryUpgrade } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { assertLogsClean, joinPair, offer } from '../helpers/protocol.js';
import { type ChildServer, spawnServer, stopAllServers } from '../helpers/server.js';

afterEach(() => closeAllClients());
after(async () => {
  await closeAllClients();
  await stopAllServers();
});

/** Log lines after the startup (`listening`) line: no client address may appear there. */
const afterStartup = (s: ChildServer) => s.logs.findIndex((l) => /"msg":"listening"/.test(l)) + 1;

function exitWithin(s: ChildServer, ms: number) {
  return Promise.race([
    s.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`process still running after ${ms} ms`)), ms)),
  ]);
}

/** Restart tests resume right after the new process listens; a generous grace keeps a loaded machine from missing the window. */
const RESTART_FLAGS = { '--grace': '10s' };

describe('SIGTERM (X4)', () => {
  test('X4: SIGTERM closes every socket with 1012 and exits 0 within 5 s; its participants resume on the restarted server (rule 7)', async () => {
    const s1 = await spawnServer({ '--join-timeout': '10s' });
    const { id, a, b, ja, jb } = await joinPair(s1.wsUrl);
    const lone = await TestClient.connect(s1.wsUrl);
    const loneId = uuid();
    await lone.join(loneId);
    const idle = await TestClient.connect(s1.wsUrl);
    a.send(offer(id, 'before-term'));
    assert.deepEqual(await b.next('offer'), offer(id, 'before-term'));

    const termAt = Date.now();
    s1.kill('SIGTERM');
    for (const c of [a, b, lone, idle]) assert.equal((await c.waitClose(3000)).code, 1012);
    assert.ok(Date.now() - termAt < 3000);
    const late = await tryUpgrade(s1.wsUrl, {}, 2000);
    assert.ok(late.status === 503 || late.status === 0, `an upgrade during shutdown: ${JSON.stringify(late)}`);
    const { code } = await exitWithin(s1, 5000);
    assert.equal(code, 0);
    assert.equal(s1.stderr().trim(), '', 'nothing on stderr');

    const s2 = await spawnServer(RESTART_FLAGS, { tokenSecret: s1.tokenSecret, stateDir: s1.stateDir });
    const a2 = await TestClient.connect(s2.wsUrl);
    const ja2 = await a2.join(id, ja.resume as string);
    assert.equal(ja2.peer, true);
    assert.deepEqual(await a2.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    const b2 = await TestClient.connect(s2.wsUrl);
    assert.equal((await b2.join(id, jb.resume as string)).peer, true);
    assert.deepEqual(await a2.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    b2.send({ type: 'answer', sessionId: id, sdp: 'v=0 after-term' });
    assert.deepEqual(await a2.next('answer'), { type: 'answer', sessionId: id, sdp: 'v=0 after-term' });
    s2.kill('SIGTERM');
    assert.equal((await a2.waitClose(3000)).code, 1012);
    assert.equal((await exitWithin(s2, 5000)).code, 0);
    for (const s of [s1, s2])
      assertLogsClean(
        s.logs,
        [id, loneId, ja.resume as string, jb.resume as string, ja2.resume as string, s1.tokenSecret],
        afterStartup(s),
      );
  });
});

function getHealth(s: ChildServer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(`${s.url}healthz`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('/healthz timed out')));
  });
}

describe('SIGTERM: the node leaves visibly (X4, README "systemd")', () => {
  test('X4: while its sockets drain, the node keeps listening: /healthz answers 503 "stopping" and new upgrades 503; then the port closes and the process exits 0', async () => {
    const s = await spawnServer();
    const watcher = await TestClient.connect(s.wsUrl);
    // A client that stops reading never answers the close handshake, so the drain lasts its full 2 s.
    const stubborn = await TestClient.connect(s.wsUrl);
    (stubborn.ws as unknown as { _socket: Socket })._socket.pause();
    assert.deepEqual(await getHealth(s), { status: 200, body: '{"status":"ok"}' });

    s.kill('SIGTERM');
    assert.equal((await watcher.waitClose(3000)).code, 1012);
    const [health, late] = await Promise.all([getHealth(s), tryUpgrade(s.wsUrl, {}, 3000)]);
    assert.deepEqual(health, { status: 503, body: '{"status":"stopping"}' });
    assert.equal(late.status, 503, `an upgrade during the drain: ${JSON.stringify(late)}`);

    assert.equal((await exitWithin(s, 5000)).code, 0);
    const gone = await tryUpgrade(s.wsUrl, {}, 3000);
    assert.equal(gone.status, 0, 'after the exit the port refuses');
  });
});

describe('kill -9 and restart (rule 7, X5)', () => {
  test('rule 7: after kill -9 and a restart with the same secret, both resume their places and relay again', async () => {
    const s1 = await spawnServer();
    const { id, a, b, ja, jb } = await joinPair(s1.wsUrl);
    a.send(offer(id, 'before-kill'));
    assert.deepEqual(await b.next('offer'), offer(id, 'before-kill'));
    s1.kill('SIGKILL');
    await exitWithin(s1, 5000);
    assert.equal((await a.waitClose()).code, 1006);
    assert.equal((await b.waitClose()).code, 1006);

    // How fast it restarts is the benchmark's (no timed assertions here); that it comes back is this test's.
    const s2 = await spawnServer(RESTART_FLAGS, { tokenSecret: s1.tokenSecret, stateDir: s1.stateDir });
    const a2 = await TestClient.connect(s2.wsUrl);
    const ja2 = await a2.join(id, ja.resume as string);
    assert.equal(ja2.sessionId, id);
    assert.equal(ja2.peer, true);
    assert.notEqual(ja2.resume, ja.resume);
    assert.deepEqual(await a2.next('peer'), { type: 'peer', sessionId: id, state: 'away' });
    // While B is away, A's frames queue for it.
    a2.send({ type: 'candidate', sessionId: id, candidate: { candidate: '' } });
    const b2 = await TestClient.connect(s2.wsUrl);
    const jb2 = await b2.join(id, jb.resume as string);
    assert.equal(jb2.peer, true);
    assert.deepEqual(await a2.next('peer'), { type: 'peer', sessionId: id, state: 'back' });
    assert.deepEqual(await b2.next('candidate'), { type: 'candidate', sessionId: id, candidate: { candidate: '' } });
    a2.send(offer(id, 'after-restart'));
    assert.deepEqual(await b2.next('offer'), offer(id, 'after-restart'));
    b2.send({ type: 'answer', sessionId: id, sdp: 'v=0 answer-after-restart' });
    assert.deepEqual(await a2.next('answer'), { type: 'answer', sessionId: id, sdp: 'v=0 answer-after-restart' });

    // A stranger still cannot take a third place in the restored session.
    const c = await TestClient.connect(s2.wsUrl);
    c.send({ type: 'join', sessionId: id });
    assert.equal((await c.next('error')).code, 'SESSION_FULL');

    // Hangup in the restored session ends it for good: resume is SESSION_ENDED.
    a2.send({ type: 'hangup', sessionId: id });
    assert.deepEqual(await b2.next('hangup'), { type: 'hangup', sessionId: id });
    await b2.waitClose();
    const again = await TestClient.connect(s2.wsUrl);
    again.send({ type: 'join', sessionId: id, resume: jb2.resume });
    assert.equal((await again.next('error')).code, 'SESSION_ENDED');
    // And the id is free for a fresh session.
    const fresh = await TestClient.connect(s2.wsUrl);
    assert.equal((await fresh.join(id)).peer, false);

    s2.kill('SIGTERM');
    await exitWithin(s2, 5000);
    const secrets = [id, ja.resume, jb.resume, ja2.resume, jb2.resume, s1.tokenSecret] as string[];
    for (const s of [s1, s2]) assertLogsClean(s.logs, secrets, afterStartup(s));
    assert.ok(
      s2.logs.some((l) => /"session":"[A-Za-z0-9_-]{12}"/.test(l)),
      'events are keyed by a 12-char session hash',
    );
  });

  // An in-memory node writes nothing about sessions to disk, so after kill -9 it cannot tell a
  // context ended by hangup from one lost in the restart; it restores only within the grace
  // period after its start (a restart counts as a drop of everyone), and never after it.
  test('rule 7: a context ended by hangup is never restored within a run, nor after a restart once its grace has passed', async () => {
    const s1 = await spawnServer();
    const ended = await joinPair(s1.wsUrl);
    ended.a.send({ type: 'hangup', sessionId: ended.id });
    await ended.b.next('hangup');
    await ended.b.waitClose();
    // Within the same run: SESSION_ENDED.
    const same = await TestClient.connect(s1.wsUrl);
    same.send({ type: 'join', sessionId: ended.id, resume: ended.ja.resume });
    assert.equal((await same.next('error')).code, 'SESSION_ENDED');
    s1.kill('SIGKILL');
    await exitWithin(s1, 5000);

    const s2 = await spawnServer({ '--grace': '300ms' }, { tokenSecret: s1.tokenSecret, stateDir: s1.stateDir });
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const token of [ended.ja.resume, ended.jb.resume]) {
      const e = await TestClient.connect(s2.wsUrl);
      e.send({ type: 'join', sessionId: ended.id, resume: token });
      const refused = await e.next();
      assert.equal(refused.type, 'error', `an ended call was restored: ${JSON.stringify({ ...refused, resume: '…' })}`);
      assert.ok(['SESSION_ENDED', 'SIGNAL_NOT_FOUND'].includes(refused.code as string), JSON.stringify(refused));
    }
    // The id itself is free for a fresh session.
    const fresh = await TestClient.connect(s2.wsUrl);
    assert.equal((await fresh.join(ended.id)).peer, false);
    s2.kill('SIGTERM');
    await exitWithin(s2, 5000);
  });
});
