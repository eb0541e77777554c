// Wall-clock jumps (reliability.md X7): the server runs under Debian's libfaketime, its wall
// clock driven by an offset file the test rewrites (+1 h, then -1 h), its monotonic clock left
// alone (FAKETIME_DONT_FAKE_MONOTONIC), as when NTP steps the clock. Every timeout runs on
// monotonic time, so a jump forward expires nothing early (a held place can still be resumed,
// an unjoined socket can still join, a call relays) and a jump back keeps nothing late (a
// silent socket is still dropped, its place still expires, an idle socket still times out,
// the rate limiter still refills). The waits only bound: a timeout kept an hour late cannot
// pass them, and nothing here measures a duration.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { assertError, joinPair, offer } from '../helpers/protocol.js';
import { spawnServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';

const faults = useIntegrationSuite();

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
/** Short enough for the test, long enough that the checks after a jump finish inside them. */
const GRACE = '20s';
const JOIN_TIMEOUT = '40s';
/** Long enough that a socket can be silent across the jump before the heartbeat gives up on it. */
const DROP_AFTER = '10s';
/**
 * The heartbeat forgives a bucket it visits more than 1.5 intervals late (its own loop stalled,
 * pongs may be unread): at 500 ms, a loaded machine's timer delays of 250 ms kept forgiving the
 * silent socket past the join timeout. 2 s tolerates 1 s delays.
 */
const PING_INTERVAL_MS = 2000;
/** Bounds on waits, far below the hour a jump would add. */
const EXPIRY_WAIT_MS = 120_000;

const dir = mkdtempSync(join(tmpdir(), 'homecall-faketime-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('X7: the wall clock jumping +1 h expires nothing early and jumping back 2 h keeps nothing late', async (t) => {
  assert.ok(existsSync(LIBFAKETIME), `${LIBFAKETIME} is missing: apt-get install faketime (scripts/test.sh does)`);
  const offsetFile = join(dir, 'offset');
  const setOffset = (offset: string) => writeFileSync(offsetFile, `${offset}\n`);
  setOffset('+0');
  const s = await spawnServer(
    {
      '--grace': GRACE,
      '--join-timeout': JOIN_TIMEOUT,
      '--ping-interval': `${PING_INTERVAL_MS}ms`,
      '--drop-after': DROP_AFTER,
    },
    {
      env: {
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: offsetFile,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    },
  );

  // Before the jump: a call, a participant alone, a place held after a drop, an unjoined socket.
  const call = await joinPair(s.wsUrl);
  const alone = await TestClient.connect(s.wsUrl);
  const aloneId = uuid();
  await alone.join(aloneId);
  const held = await joinPair(s.wsUrl);
  const token = String(held.ja.resume);
  held.a.drop();
  assert.deepEqual(await held.b.next('peer', 30_000), { type: 'peer', sessionId: held.id, state: 'away' });
  const idle = await TestClient.connect(s.wsUrl);
  const logsBefore = s.logs.length;

  // +1 h: nothing expires early.
  setOffset('+1h');
  const forward = await waitForServerWall(s, +3600_000);
  t.diagnostic(`server wall clock moved by ${Math.round(forward / 60_000)} min`);
  call.a.send(offer(call.id, 'after-forward-jump'));
  assert.deepEqual(await call.b.next('offer'), offer(call.id, 'after-forward-jump'));
  const back = await TestClient.connect(s.wsUrl);
  const rejoined = await back.join(held.id, token);
  assert.equal(rejoined.peer, true, 'the held place is resumed with its token');
  assert.deepEqual(await held.b.next('peer'), { type: 'peer', sessionId: held.id, state: 'back' });
  await idle.join(uuid());
  alone.send({ type: 'ping', sessionId: aloneId });
  assert.deepEqual(
    await alone.next('pong'),
    { type: 'pong', sessionId: aloneId },
    'the lone participant is still there',
  );
  assert.ok(alone.isOpen && idle.isOpen && call.a.isOpen && call.b.isOpen, 'no socket was closed by the jump');
  const expiries = (from: number) =>
    s.logs.slice(from).filter((l) => /"event":"(grace-expired|alone-timeout|lifetime-reached|join-timeout)"/.test(l));
  assert.deepEqual(expiries(logsBefore), [], 'nothing expired after the jump forward');

  // Back to -1 h (a 2 h step back) while a socket has just gone silent (it stops answering
  // pings), an upgraded socket waits for its join, and the call's rate limiter is in use.
  const logsAtBack = s.logs.length;
  const silent = await joinPair(s.wsUrl, uuid());
  const idle2 = await TestClient.connect(s.wsUrl);
  const silentA = silent.a.ws as unknown as { _autoPong?: boolean };
  assert.equal(typeof silentA._autoPong, 'boolean', 'ws keeps its autoPong option as _autoPong');
  silentA._autoPong = false;
  // Silent for a few heartbeat visits, so the server last heard from it before the jump.
  await new Promise((resolve) => setTimeout(resolve, 2 * PING_INTERVAL_MS));
  setOffset('-1h');
  const backward = await waitForServerWall(s, -3600_000);
  t.diagnostic(`server wall clock moved by ${Math.round(backward / 60_000)} min`);
  // The heartbeat still drops the silent socket, and its place still expires after the grace.
  assert.deepEqual(await silent.b.next('peer', EXPIRY_WAIT_MS), { type: 'peer', sessionId: silent.id, state: 'away' });
  assert.deepEqual(await silent.b.next('peer', EXPIRY_WAIT_MS), { type: 'peer', sessionId: silent.id, state: 'left' });
  // The socket that never joined is closed at the join timeout.
  const closed = await idle2.waitClose(EXPIRY_WAIT_MS);
  assert.equal(closed.code, 1008);
  // The rate limiter refills on monotonic time: 80 frames paced over 4 s pass a 60-frame burst.
  for (let i = 0; i < 80; i++) {
    call.a.send(offer(call.id, `after-backward-jump-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let i = 0; i < 80; i++)
    assert.deepEqual(await call.b.next('offer', 30_000), offer(call.id, `after-backward-jump-${i}`));
  const errors = call.a.pending().filter((f) => f.type === 'error');
  for (const e of errors) assertError(e, 'RATE_LIMITED', call.id);
  assert.deepEqual(errors, [], 'no frame was rate limited');
  // In the order their monotonic deadlines come: the silent socket went quiet after the idle
  // one connected, but its 10 s drop is due long before the 40 s join timeout. (A heartbeat on
  // the wall clock would wait an hour, or until a stall of its own loop reset it.)
  assert.deepEqual(
    s.logs
      .slice(logsAtBack)
      .map((l) => JSON.parse(l).event)
      .filter((e) => ['away', 'join-timeout'].includes(e)),
    ['away', 'join-timeout'],
    'the drop, then the join timeout',
  );
  assert.equal(s.proc.exitCode, null, 'the server is still running');
});

/**
 * Waits (bounded) until the server's log timestamps show its wall clock moved by about `delta`
 * from the test's (libfaketime re-reads the offset file on every clock call).
 */
async function waitForServerWall(s: Awaited<ReturnType<typeof spawnServer>>, delta: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const probe = await TestClient.connect(s.wsUrl);
    probe.send({ type: 'join', sessionId: 'not-a-uuid' });
    await probe.next('error', 30_000);
    probe.ws.terminate();
    const last = s.logs.filter((l) => l.includes('"time"')).at(-1);
    if (last !== undefined) {
      const moved = Date.parse(JSON.parse(last).time) - Date.now();
      if (Math.abs(moved - delta) < 10 * 60_000) return moved;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server never saw the wall clock jump (is libfaketime working?)');
}

test('X6: no uncaught exception or unhandled rejection in this file', () => {
  assert.equal(faults.count, 0, String(faults.errors));
});
