import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import pino from 'pino';
import { systemClock } from '../../src/server/clock.js';
import { frameStream } from '../../src/server/turn/channel-data.js';
import type { TransportAddress } from '../../src/server/turn/stun-address.js';
import { decodeStun } from '../../src/server/turn/stun-message.js';
import { StunClass, StunMethod } from '../../src/server/turn/stun-protocol.js';
import {
  type Answer,
  peerRequest,
  readRelayed,
  requestedTransportUdp,
  sendIndication,
  TurnTestClient,
} from '../../src/server/turn/testing/turn-test-client.js';
import { ThreadedTurnServer } from '../../src/server/turn/turn-thread.js';
import { Arrivals, closeAllUdp, UdpTurnClient } from './udp-turn-client.js';

// The built-in TURN server with its relay on a worker thread (turn-thread.ts), driven directly:
// credentials minted and revoked on the main thread hold in the worker, TCP connections of the
// main thread reach the same allocations as UDP, and close() lets the worker go.

const WAIT_MS = 5000;
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  closeAllUdp();
  for (const c of cleanups.reverse()) await c();
});

/** A TURN client over one TCP connection (RFC 8656 §12.5 framing). */
class TcpTurnClient {
  readonly turn: TurnTestClient;
  readonly data: Array<NonNullable<ReturnType<typeof readRelayed>>> = [];
  relayed: TransportAddress | null = null;
  ended = false;
  readonly #socket: Socket;
  readonly #waiting = new Map<string, (bytes: Buffer) => void>();
  #pending = Buffer.alloc(0);
  readonly #arrivals = new Arrivals();

  constructor(socket: Socket, credential: TurnTestClient['credential']) {
    this.#socket = socket;
    this.turn = new TurnTestClient(credential);
    socket.on('data', (chunk: Buffer) => {
      const framed = frameStream(Buffer.concat([this.#pending, chunk]));
      this.#pending = Buffer.from(framed.rest);
      for (const bytes of framed.messages) {
        const m = decodeStun(bytes);
        const waiter = m === null ? undefined : this.#waiting.get(m.transactionId.toString('hex'));
        if (m !== null && waiter !== undefined && m.cls !== StunClass.indication) waiter(bytes);
        else {
          const relayed = readRelayed(bytes);
          if (relayed !== null) this.data.push(relayed);
        }
      }
      this.#arrivals.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#arrivals.notify();
    });
    socket.on('error', () => {});
  }

  request(bytes: Buffer): Promise<Answer> {
    const tid = bytes.subarray(8, 20).toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer over TCP')), WAIT_MS);
      this.#waiting.set(tid, (answer) => {
        clearTimeout(timer);
        this.#waiting.delete(tid);
        resolve(this.turn.read(answer));
      });
      this.#socket.write(bytes);
    });
  }

  async allocate(): Promise<Answer> {
    await this.request(this.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const answer = await this.request(this.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    this.relayed = answer.relayed;
    return answer;
  }

  sendTo(peer: TransportAddress, data: Buffer): void {
    this.#socket.write(sendIndication(peer, data));
  }

  /** Waits (bounded) until `done()` holds. */
  until(done: () => boolean, what: string): Promise<void> {
    return this.#arrivals.until(done, () => `timed out waiting for ${what}`, WAIT_MS);
  }
}

async function start() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const server = new ThreadedTurnServer({
    clock: systemClock,
    logger: pino({ level: 'info' }, sink),
    relayIp: '127.0.0.1',
    credentialTtlMs: 60_000,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  cleanups.push(close);
  const { port } = await server.listenUdp(0, '127.0.0.1');
  // The HTTPS port's part: TCP connections handed to the server.
  const tcp: Server = createServer((socket) =>
    server.handleStream(socket, { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }),
  );
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => tcp.close(() => resolve())));
  const tcpPort = (tcp.address() as { port: number }).port;
  const openTcp = async (credential: TurnTestClient['credential']) => {
    const socket = connect(tcpPort, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return new TcpTurnClient(socket, credential);
  };
  return { server, port, openTcp, lines, close };
}

test('the worker relays between a UDP and a TCP allocation of one call; an ended context is refused there; close() frees the port', async () => {
  const { server, port, openTcp, lines, close } = await start();
  const seat = (place: number) => ({ contextId: 'ctx-1', place, expiresAtMs: Date.now() + 60_000 });
  const udp = await UdpTurnClient.open({ host: '127.0.0.1', port }, server.credentials.mint(seat(0)));
  const tcp = await openTcp(server.credentials.mint(seat(1)));
  const outsider = await UdpTurnClient.open(
    { host: '127.0.0.1', port },
    server.credentials.mint({ contextId: 'ctx-2', place: 0, expiresAtMs: Date.now() + 60_000 }),
  );
  assert.equal((await udp.allocate()).code, undefined);
  assert.equal((await tcp.allocate()).code, undefined);
  assert.equal((await outsider.allocate()).code, undefined);
  assert.ok(udp.relayed && tcp.relayed && outsider.relayed);
  assert.equal((await udp.permit([tcp.relayed, outsider.relayed])).code, undefined);
  assert.equal((await tcp.request(peerRequest(tcp.turn, StunMethod.createPermission, [udp.relayed]))).code, undefined);
  assert.equal((await outsider.permit([udp.relayed])).code, undefined);

  udp.sendTo(outsider.relayed, Buffer.from('to another call'));
  udp.sendTo(tcp.relayed, Buffer.from('to tcp'));
  await tcp.until(() => tcp.data.length >= 1, 'data over TCP');
  tcp.sendTo(udp.relayed, Buffer.from('to udp'));
  await udp.waitData(1);
  assert.deepEqual(tcp.data, [{ peer: udp.relayed, data: Buffer.from('to tcp') }]);
  assert.deepEqual(udp.data, [{ peer: tcp.relayed, data: Buffer.from('to udp') }]);
  // The outsider's own round trip after the worker handled the packet for it (it came before
  // 'to tcp' on the same socket): anything relayed to it would have arrived before this answer.
  assert.equal((await outsider.request(outsider.turn.request(StunMethod.refresh))).code, undefined);
  assert.equal(outsider.data.length, 0, 'nothing crossed to another call');
  const logged = (event: string) => lines.filter((l) => l.event === event).map((l) => l.allocations);
  await tcp.until(() => logged('turn-allocated').length === 3, 'three allocations logged by the worker');
  assert.deepEqual(logged('turn-allocated'), [1, 2, 3]);

  // Hangup: revoked on the main thread, refused by the worker, the TCP allocation's stream ended.
  server.credentials.endContext('ctx-1');
  assert.equal((await udp.request(udp.turn.request(StunMethod.refresh))).code, 401);
  await tcp.until(() => tcp.ended, 'the server to end the TCP connection');
  assert.equal((await outsider.request(outsider.turn.request(StunMethod.refresh))).code, undefined);
  await tcp.until(() => logged('turn-released').length === 2, "both of the call's allocations released");
  assert.deepEqual(logged('turn-released'), [2, 1]);
  assert.ok(
    lines.some((l) => l.event === 'turn-allocated' && l.transport === 'tcp'),
    'worker log lines reach the main logger',
  );

  await close();
  const again = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.bind(port, '127.0.0.1', () => resolve());
  });
  again.close();
});

test('the worker asks the main thread about a credential it was never told of: minted → allocated; ended, also right after the request went out → 401; forged → 401', async () => {
  const { server, port } = await start();
  const seat = (contextId: string, place = 0) => ({ contextId, place, expiresAtMs: Date.now() + 60_000 });
  // Minted on the main thread, never forwarded (a mint posts nothing): the first Allocate asks.
  const live = await UdpTurnClient.open({ host: '127.0.0.1', port }, server.credentials.mint(seat('ask-live')));
  assert.equal((await live.allocate()).code, undefined);
  assert.equal((await live.request(live.turn.request(StunMethod.refresh))).code, undefined);

  // Ended before the worker heard of it.
  const ended = await UdpTurnClient.open({ host: '127.0.0.1', port }, server.credentials.mint(seat('ask-ended')));
  await ended.request(ended.turn.request(StunMethod.allocate, [requestedTransportUdp]));
  server.credentials.endContext('ask-ended');
  assert.equal((await ended.allocate()).code, 401);

  // The end comes on the main thread after the request left (before the worker's question is
  // answered: this thread does not yield between the send and the end).
  const racing = await UdpTurnClient.open({ host: '127.0.0.1', port }, server.credentials.mint(seat('ask-race')));
  await racing.request(racing.turn.request(StunMethod.allocate, [requestedTransportUdp]));
  const answer = racing.request(racing.turn.request(StunMethod.allocate, [requestedTransportUdp]));
  server.credentials.endContext('ask-race');
  assert.equal((await answer).code, 401);

  // A username of our shape that this server never minted (another secret), and one of ours
  // with a password the secret did not make.
  const other = new ThreadedTurnServer({
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    relayIp: '127.0.0.1',
    credentialTtlMs: 60_000,
  });
  cleanups.push(() => other.close());
  const forged = await UdpTurnClient.open({ host: '127.0.0.1', port }, other.credentials.mint(seat('ask-live', 1)));
  assert.equal((await forged.allocate()).code, 401);
  const { username } = server.credentials.mint(seat('ask-live', 1));
  const wrong = await UdpTurnClient.open({ host: '127.0.0.1', port }, { username, credential: 'not-the-password' });
  assert.equal((await wrong.allocate()).code, 401);

  // The told context's end reaches the worker: the live allocation is refused from then on.
  server.credentials.endContext('ask-live');
  assert.equal((await live.request(live.turn.request(StunMethod.refresh))).code, 401);
});
