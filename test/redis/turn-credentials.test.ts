// TURN credentials across nodes (issue 12): a context that ends on one node ends its TURN
// credentials on every node, including a node that holds no place of it any more, and a node
// whose subscriber connection was cut while the context ended (it re-checks on reconnect).
// Two real HomeCall processes on one real redis-server, a real TURN client over UDP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { createClient } from 'redis';
import { systemClock } from '../../src/server/clock.js';
import type { RedisRegistry } from '../../src/server/sessions/redis-registry.js';
import type { RemoteEvent } from '../../src/server/sessions/session-registry.js';
import { clusterCredentials } from '../../src/server/turn/cluster-credentials.js';
import { StunMethod } from '../../src/server/turn/stun-protocol.js';
import { TurnCredentials } from '../../src/server/turn/turn-credentials.js';
import { type Frame, TestClient } from '../helpers/client.js';
import { type Cluster, startCluster } from '../helpers/cluster.js';
import { uuid } from '../helpers/ids.js';
import { expectError, sleep } from '../helpers/protocol.js';
import { stopAllRedis, testRegistry } from '../helpers/redis.js';
import type { ChildServer } from '../helpers/server.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { closeAllUdp, UdpTurnClient } from '../turn/udp-turn-client.js';

type Entry = { urls: string[]; username: string; credential: string };

let cluster: Cluster;
let n1: ChildServer;
let n2: ChildServer;
const faults = useIntegrationSuite();

before(async () => {
  cluster = await startCluster(2);
  [n1, n2] = cluster.nodes as [ChildServer, ChildServer];
});
afterEach(() => closeAllUdp());
after(async () => {
  closeAllUdp();
  await stopAllRedis();
});

const CONNECT_MS = 30_000;

/** The built-in TURN entry of a `joined` frame and its UDP port (the node's own TURN server). */
function turnOf(joined: Frame): { entry: Entry; port: number } {
  const entry = (joined.iceServers as Entry[] | undefined)?.[0];
  assert.ok(entry, 'joined carries the built-in TURN server');
  const m = /^turn:127\.0\.0\.1:(\d+)\?transport=udp$/.exec(entry.urls[0] ?? '');
  assert.ok(m, entry.urls[0]);
  return { entry, port: Number(m[1]) };
}

/** A participant on `na`, one on `nb`; returns both sockets and the TURN entry of the second. */
async function pairAcross(na: ChildServer, nb: ChildServer) {
  const id = uuid();
  const a = await TestClient.connect(na.wsUrl, {}, CONNECT_MS);
  await a.join(id);
  const b = await TestClient.connect(nb.wsUrl, {}, CONNECT_MS);
  const jb = await b.join(id);
  assert.equal(jb.peer, true);
  assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'joined' });
  return { id, a, b, turn: turnOf(jb), token: jb.resume as string };
}

async function allocateCode(port: number, entry: Entry): Promise<number | undefined> {
  const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, entry);
  return (await client.allocate()).code;
}

/** Allocates, and checks it was accepted (the credential works before the context ends). */
async function allocated(port: number, entry: Entry): Promise<UdpTurnClient> {
  const client = await UdpTurnClient.open({ host: '127.0.0.1', port }, entry);
  const answer = await client.allocate();
  assert.equal(answer.code, undefined, `allocate failed with ${answer.code}`);
  return client;
}

describe('TURN credentials end with their context on every node', () => {
  test('a hangup on node 1 ends the credentials of the participant on node 2 (its allocation and new ones)', async () => {
    const { id, a, b, turn } = await pairAcross(n1, n2);
    const before = await allocated(turn.port, turn.entry);
    a.send({ type: 'hangup', sessionId: id });
    await b.next('hangup');
    await b.waitClose();
    assert.equal((await before.request(before.turn.request(StunMethod.refresh))).code, 401);
    assert.equal(await allocateCode(turn.port, turn.entry), 401);
  });

  test('a participant who left node 2 cleanly: its credentials there end when the context ends on node 1', async () => {
    const { id, a, b, turn } = await pairAcross(n1, n2);
    await allocated(turn.port, turn.entry);
    b.close();
    await b.waitClose();
    assert.deepEqual(await a.next('peer'), { type: 'peer', sessionId: id, state: 'left' });
    // Node 2 holds no place of the context any more; it still accepts the credential.
    await allocated(turn.port, turn.entry);
    a.send({ type: 'hangup', sessionId: id });
    await a.waitClose();
    // Node 2 hears the end on its subscriber (no frame to wait for): a bounded wait for the 401.
    let code: number | undefined;
    for (let i = 0; i < 100 && code !== 401; i++) {
      code = await allocateCode(turn.port, turn.entry);
      if (code !== 401) await sleep(100);
    }
    assert.equal(code, 401);
  });

  test('node 2 misses the hangup (its subscriber is cut and cannot reconnect): it revokes on reconnect', async () => {
    const { id, a, b, turn, token } = await pairAcross(n1, n2);
    await allocated(turn.port, turn.entry);
    // One connection opened before the cut does the admin work; then no new connection is
    // accepted, so the cut subscribers stay away until maxclients is restored.
    const admin = createClient({ url: cluster.redis.url, RESP: 2 });
    admin.on('error', () => {});
    await admin.connect();
    const [, maxclients] = (await admin.sendCommand(['CONFIG', 'GET', 'maxclients'])) as [string, string];
    try {
      const connected = Number(
        /connected_clients:(\d+)/.exec(String(await admin.sendCommand(['INFO', 'clients'])))?.[1],
      );
      const kept = connected - 2;
      await admin.sendCommand(['CONFIG', 'SET', 'maxclients', String(kept)]);
      assert.equal(Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])), 2);
      a.send({ type: 'hangup', sessionId: id });
      await a.waitClose();
      // The end was published while no node listened: node 2 still accepts the credential.
      assert.deepEqual(await admin.sendCommand(['PUBSUB', 'CHANNELS', 'hc:ch:*']), []);
      await allocated(turn.port, turn.entry);
      assert.equal(b.isOpen, true);
    } finally {
      await admin.sendCommand(['CONFIG', 'SET', 'maxclients', maxclients]);
      admin.destroy();
    }
    // Back: node 2 re-checks what it knows, revokes, then closes the socket whose place is gone
    // (1012: the client resumes and learns the session ended).
    const closed = await b.waitClose(CONNECT_MS);
    assert.equal(closed.code, 1012);
    assert.equal(await allocateCode(turn.port, turn.entry), 401);
    const again = await TestClient.connect(n2.wsUrl, {}, CONNECT_MS);
    again.send({ type: 'join', sessionId: id, resume: token });
    await expectError(again, 'SESSION_ENDED', id);
  });

  test('a context end is published only to the other nodes a place of it was attached on', async () => {
    // Every message any node is sent, and the channel it went to.
    const heard: Array<{ channel: string; message: string }> = [];
    const watcher = createClient({ url: cluster.redis.url, RESP: 2 });
    watcher.on('error', () => {});
    await watcher.connect();
    const publisher = watcher.duplicate();
    publisher.on('error', () => {});
    await publisher.connect();
    const marker = `hc:marker:${uuid()}`;
    let markerSeen: () => void = () => {};
    const gotMarker = new Promise<void>((resolve) => {
      markerSeen = resolve;
    });
    try {
      await watcher.pSubscribe('hc:*', (message, channel) => {
        if (channel === marker) markerSeen();
        else heard.push({ channel, message });
      });
      // Both participants on node 1: no other node is told (node 1 learns it from its own step).
      const id = uuid();
      const a = await TestClient.connect(n1.wsUrl, {}, CONNECT_MS);
      await a.join(id);
      const b = await TestClient.connect(n1.wsUrl, {}, CONNECT_MS);
      await b.join(id);
      a.send({ type: 'hangup', sessionId: id });
      await b.next('hangup');
      await Promise.all([a.waitClose(), b.waitClose()]);
      // Across nodes, hung up on node 1, then on node 2: the other node is told, each time.
      for (const side of ['a', 'b'] as const) {
        const across = await pairAcross(n1, n2);
        const [by, other] = side === 'a' ? [across.a, across.b] : [across.b, across.a];
        by.send({ type: 'hangup', sessionId: across.id });
        await other.next('hangup');
        await Promise.all([by.waitClose(), other.waitClose()]);
      }
      // Every message of those scripts reached the watcher before this one.
      await publisher.publish(marker, '1');
      await gotMarker;
      // The context ends, as published (on the channel `hc:ended` before ends went to nodes).
      const ends = heard.filter(
        ({ channel, message }) => channel === 'hc:ended' || (JSON.parse(message) as { t?: string }).t === 'ctxend',
      );
      assert.equal(ends.length, 2, JSON.stringify(ends));
      const [toNode2, toNode1] = ends.map((e) => e.channel);
      assert.match(toNode2 ?? '', /^hc:ch:/);
      assert.match(toNode1 ?? '', /^hc:ch:/);
      assert.notEqual(toNode2, toNode1, 'each end went to the node that did not end it');
    } finally {
      watcher.destroy();
      publisher.destroy();
    }
  });

  test("an end that overtakes the node's own join reply still revokes what that join mints; the socket hears the hangup", async () => {
    // Node 2's Redis connections go through a proxy that can hold the replies of the first one
    // (the command connection; the subscriber connects second), so the end is heard first.
    const proxy = await holdingProxy(cluster.redis.port);
    const prefix = `race${randomBytes(4).toString('hex')}:`;
    const r1 = inProcessRegistry(cluster.redis.url, prefix);
    const r2 = inProcessRegistry(proxy.url, prefix);
    try {
      await r1.start();
      await r2.start();
      const credentials = new TurnCredentials({ clock: systemClock, ttlMs: 3_600_000 });
      const mint = clusterCredentials(r2, credentials);
      const events: RemoteEvent[] = [];
      r2.subscribe((event) => events.push(event));
      const heardEnd = new Promise<string>((resolve) => r2.onContextEnded(resolve));
      const id = uuid();
      const a = await r1.join(id, 'link-a', Date.now());
      assert.equal(a.kind, 'admitted');
      const contextId = a.kind === 'admitted' ? a.admission.seat.contextId : '';
      proxy.hold();
      const joining = r2.join(id, 'link-b', Date.now());
      // Redis ran node 2's join (place 1 attached there); its reply waits in the proxy.
      for (let i = 0; i < 200; i++) {
        if ((await cluster.redis.command(['HGET', `${prefix}s:{${id}}`, 'st1'])) === 'attached') break;
        await sleep(25);
      }
      assert.equal(await cluster.redis.command(['HGET', `${prefix}s:{${id}}`, 'st1']), 'attached');
      assert.equal((await r1.end(id, contextId, 'hangup')).kind, 'ended');
      assert.equal(await heardEnd, contextId);
      proxy.release();
      const b = await joining;
      assert.ok(
        b.kind === 'admitted' && b.admission.seat.contextId === contextId,
        'node 2 was admitted to the context',
      );
      // What the handshake does with the admission: it mints the participant's credential.
      const minted = mint({ contextId, place: b.admission.seat.place, expiresAtMs: Date.now() + 60_000 });
      assert.equal(credentials.holderOf(minted.username), null, 'the credential minted after the end opens nothing');
      for (let i = 0; i < 200 && !events.some((e) => e.kind === 'ended' && e.link === 'link-b'); i++) await sleep(10);
      assert.deepEqual(
        events.filter((e) => e.link === 'link-b'),
        [{ kind: 'ended', link: 'link-b', reason: undefined }],
      );
    } finally {
      proxy.release();
      await Promise.allSettled([r1.close(), r2.close()]);
      await proxy.close();
    }
  });

  test('X6: no uncaught exception or unhandled rejection in this process', () => {
    assert.equal(faults.count, 0);
  });
});

function inProcessRegistry(url: string, prefix: string): RedisRegistry {
  return testRegistry(url, {
    prefix,
    timings: { heartbeatMs: 1000, nodeTimeoutMs: 20_000, sweepMs: 1000, sweepSlackMs: 1000 },
  });
}

/** A loopback TCP proxy to Redis that can hold what Redis sends on the first connection. */
async function holdingProxy(port: number) {
  const sockets: Socket[] = [];
  let held: Buffer[] | null = null;
  let first: Socket | null = null;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    sockets.push(client, upstream);
    const isFirst = first === null;
    if (isFirst) first = client;
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (isFirst && held !== null) held.push(chunk);
      else client.write(chunk);
    });
    for (const [s, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      s.on('error', () => other.destroy());
      s.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    hold: () => {
      held ??= [];
    },
    release: () => {
      const chunks = held ?? [];
      held = null;
      for (const chunk of chunks) (first as Socket | null)?.write(chunk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
