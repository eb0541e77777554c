import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import pino from 'pino';
import { systemClock } from '../../src/server/clock.js';
import { StunMethod } from '../../src/server/turn/stun-protocol.js';
import { TurnServer } from '../../src/server/turn/turn-server.js';
import { closeAllClients, TestClient } from '../helpers/client.js';
import { uuid } from '../helpers/ids.js';
import { type RunningServer, startServer, stopAllServers } from '../helpers/server.js';
import { closeAllUdp, UdpTurnClient, udpListener } from './udp-turn-client.js';

// The built-in TURN server inside the real app, over real UDP on loopback, with credentials
// from real `joined` frames: it relays within a call and nowhere else.

type Credential = { username: string; credential: string };
type Entry = Credential & { urls: string[] };

let server: RunningServer;
before(async () => {
  server = await startServer({ '--turn-allocations-per-user': '3' });
});
afterEach(() => closeAllUdp());
after(async () => {
  closeAllUdp();
  await closeAllClients();
  await stopAllServers();
});

/** Joins a session over /signal; returns the socket and its TURN entry. */
async function join(sessionId: string): Promise<{ ws: TestClient; entry: Entry; turnPort: number }> {
  const ws = await TestClient.connect(server.wsUrl);
  const joined = await ws.join(sessionId);
  const entry = (joined.iceServers as Entry[])[0];
  assert.ok(entry, 'joined carries the built-in TURN server');
  const url = entry.urls[0] ?? '';
  const m = /^turn:127\.0\.0\.1:(\d+)\?transport=udp$/.exec(url);
  assert.ok(m, url);
  return { ws, entry, turnPort: Number(m[1]) };
}

/** Opens a TURN client with this credential and allocates. */
async function allocated(turnPort: number, credential: Credential): Promise<UdpTurnClient> {
  const client = await UdpTurnClient.open({ host: '127.0.0.1', port: turnPort }, credential);
  const answer = await client.allocate();
  assert.equal(answer.code, undefined, `allocate failed with ${answer.code}`);
  assert.equal(answer.signed, true);
  return client;
}

/** Lets the event loop deliver anything already received by any socket. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('built-in TURN relays only within a call (issue 13, "no open relay")', () => {
  test('data flows both ways inside a call; nothing reaches loopback, the HTTPS port, a private address or another call', async () => {
    const id = uuid();
    const alice = await join(id);
    const bob = await join(id);
    const carol = await join(uuid());
    const a = await allocated(alice.turnPort, alice.entry);
    const b = await allocated(bob.turnPort, bob.entry);
    const c = await allocated(carol.turnPort, carol.entry);
    assert.ok(a.relayed && b.relayed && c.relayed);
    const loopback = await udpListener();
    // A UDP listener on the number of the server's own HTTPS port (TCP there).
    const httpsPort = await udpListener(server.port);
    const targets = [
      c.relayed,
      { family: 4 as const, ip: '127.0.0.1', port: loopback.port },
      { family: 4 as const, ip: '127.0.0.1', port: httpsPort.port },
      { family: 4 as const, ip: '127.0.0.1', port: alice.turnPort },
      { family: 4 as const, ip: '10.1.2.3', port: 5000 },
      { family: 4 as const, ip: '192.168.1.1', port: 5000 },
    ];
    assert.equal((await a.permit([b.relayed, ...targets])).code, undefined);
    assert.equal((await b.permit([a.relayed])).code, undefined);
    assert.equal((await c.permit([a.relayed])).code, undefined);
    // Send indications and channels towards every forbidden target.
    for (const [i, t] of targets.entries()) {
      a.sendTo(t, Buffer.from(`forbidden ${i}`));
      assert.equal((await a.bind(0x4010 + i, t)).code, undefined);
      a.sendOnChannel(0x4010 + i, Buffer.from(`forbidden channel ${i}`));
    }
    // Then the legitimate path, both ways: by the time it arrived, the server had handled all of the above.
    a.sendTo(b.relayed, Buffer.from('hello bob'));
    await b.waitData(1);
    assert.equal((await a.bind(0x4000, b.relayed)).code, undefined);
    b.sendTo(a.relayed, Buffer.from('hello alice'));
    await a.waitData(1);
    a.sendOnChannel(0x4000, Buffer.from('on a channel'));
    await b.waitData(2);
    await settle();
    assert.deepEqual(b.data[0], { peer: a.relayed, data: Buffer.from('hello bob') });
    assert.deepEqual(a.data[0], { channel: 0x4000, data: Buffer.from('hello alice') });
    assert.deepEqual(b.data[1], { peer: a.relayed, data: Buffer.from('on a channel') });
    assert.equal(loopback.received.length, 0, 'a loopback listener received nothing');
    assert.equal(httpsPort.received.length, 0, 'nothing went to the HTTPS port');
    assert.equal(c.data.length, 0, 'the allocation of another call received nothing');
    assert.equal(b.data.length, 2, 'bob received only what was meant for him');
    alice.ws.close();
    bob.ws.close();
    carol.ws.close();
  });

  test('wrong integrity → 401; a credential from another server → 401; the per-user quota → 486', async () => {
    const { ws, entry, turnPort } = await join(uuid());
    const wrong = await UdpTurnClient.open({ host: '127.0.0.1', port: turnPort }, { ...entry, credential: 'nope' });
    assert.equal((await wrong.allocate()).code, 401);
    const other = new TurnServer({
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      relayIp: '127.0.0.1',
      credentialTtlMs: 60_000,
    });
    const foreign = other.credentials.mint({ contextId: 'x', place: 0, expiresAtMs: Date.now() + 60_000 });
    const outsider = await UdpTurnClient.open({ host: '127.0.0.1', port: turnPort }, foreign);
    assert.equal((await outsider.allocate()).code, 401);
    for (let i = 0; i < 3; i++) await allocated(turnPort, entry);
    const fourth = await UdpTurnClient.open({ host: '127.0.0.1', port: turnPort }, entry);
    assert.equal((await fourth.allocate()).code, 486);
    ws.close();
  });

  test('after hangup the call credentials are refused (401), for its allocations and for new ones', async () => {
    const id = uuid();
    const alice = await join(id);
    const bob = await join(id);
    const a = await allocated(alice.turnPort, alice.entry);
    alice.ws.send({ type: 'hangup', sessionId: id });
    await bob.ws.next('hangup');
    assert.equal((await a.request(a.turn.request(StunMethod.refresh))).code, 401);
    const again = await UdpTurnClient.open({ host: '127.0.0.1', port: alice.turnPort }, bob.entry);
    assert.equal((await again.allocate()).code, 401);
  });
});

describe('built-in TURN credentials expire for new allocations', () => {
  test('an expired credential is refused with 401', async () => {
    const short = await startServer({ '--turn-ttl': '1s' });
    const ws = await TestClient.connect(short.wsUrl);
    const entry = ((await ws.join(uuid())).iceServers as Entry[])[0];
    assert.ok(entry);
    const port = Number(/:(\d+)\?/.exec(entry.urls[0] ?? '')?.[1]);
    const expiry = Number(entry.username.split(':')[0]) * 1000;
    // Bounded wait for the username's expiry second to pass (not a timed assertion).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiry - Date.now()) + 100));
    const late = await UdpTurnClient.open({ host: '127.0.0.1', port }, entry);
    assert.equal((await late.allocate()).code, 401);
    ws.close();
  });
});
