import { createSocket, type Socket } from 'node:dgram';
import type { TransportAddress } from '../../src/server/turn/stun-address.js';
import { decodeStun } from '../../src/server/turn/stun-message.js';
import { StunClass, StunMethod } from '../../src/server/turn/stun-protocol.js';
import {
  type Answer,
  channelNumberAttr,
  encodeChannelData,
  peerRequest,
  readRelayed,
  requestedTransportUdp,
  sendIndication,
  TurnTestClient,
} from '../../src/server/turn/testing/turn-test-client.js';

const ANSWER_WAIT_MS = 5000;
const sockets = new Set<Socket>();

/** Closes every socket the tests opened (also after a failure). */
export function closeAllUdp(): void {
  for (const s of sockets) s.close();
  sockets.clear();
}

/** A UDP socket on 127.0.0.1 that records every datagram it receives. */
export async function udpListener(port = 0): Promise<{ port: number; received: Buffer[]; close(): void }> {
  const socket = createSocket('udp4');
  sockets.add(socket);
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  return { port: socket.address().port, received, close: () => socket.close() };
}

/** What a test client's socket listener calls when something arrived, and the bounded waits on it. */
export class Arrivals {
  #wake: (() => void) | null = null;

  notify(): void {
    this.#wake?.();
  }

  /** Waits until `done()` holds, re-checked on every arrival and every 50 ms; throws `failure()` after `ms`. */
  async until(done: () => boolean, failure: () => string, ms = ANSWER_WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(failure());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#wake = null;
  }
}

/** A TURN client over a real UDP socket: requests await their answer (bounded), relayed data queues up. */
export class UdpTurnClient {
  readonly turn: TurnTestClient;
  readonly data: Array<NonNullable<ReturnType<typeof readRelayed>>> = [];
  relayed: TransportAddress | null = null;
  readonly #socket: Socket;
  readonly #server: { host: string; port: number };
  readonly #waiting = new Map<string, (bytes: Buffer) => void>();
  readonly #arrivals = new Arrivals();

  private constructor(
    socket: Socket,
    server: { host: string; port: number },
    credential: TurnTestClient['credential'],
  ) {
    this.#socket = socket;
    this.#server = server;
    this.turn = new TurnTestClient(credential);
    socket.on('message', (bytes: Buffer) => {
      const m = decodeStun(bytes);
      const waiter = m === null ? undefined : this.#waiting.get(m.transactionId.toString('hex'));
      if (m !== null && waiter !== undefined && m.cls !== StunClass.indication) {
        this.#waiting.delete(m.transactionId.toString('hex'));
        return waiter(bytes);
      }
      const relayed = readRelayed(bytes);
      if (relayed !== null) this.data.push(relayed);
      this.#arrivals.notify();
    });
  }

  static async open(server: { host: string; port: number }, credential: TurnTestClient['credential']) {
    const socket = createSocket('udp4');
    sockets.add(socket);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new UdpTurnClient(socket, server, credential);
  }

  /** Sends a request and resolves with its answer; rejects after a bounded wait. */
  request(bytes: Buffer): Promise<Answer> {
    const m = decodeStun(bytes);
    if (m === null) throw new Error('not a STUN message');
    const tid = m.transactionId.toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(tid);
        reject(new Error('no answer from the TURN server'));
      }, ANSWER_WAIT_MS);
      this.#waiting.set(tid, (answer) => {
        clearTimeout(timer);
        resolve(this.turn.read(answer));
      });
      this.raw(bytes);
    });
  }

  raw(bytes: Buffer): void {
    this.#socket.send(bytes, this.#server.port, this.#server.host);
  }

  /** 401 challenge, then the authenticated Allocate. */
  async allocate(): Promise<Answer> {
    if (this.turn.auth === undefined)
      await this.request(this.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    const answer = await this.request(this.turn.request(StunMethod.allocate, [requestedTransportUdp]));
    this.relayed = answer.relayed;
    return answer;
  }

  permit(peers: TransportAddress[]): Promise<Answer> {
    return this.request(peerRequest(this.turn, StunMethod.createPermission, peers));
  }

  bind(channel: number, peer: TransportAddress): Promise<Answer> {
    return this.request(peerRequest(this.turn, StunMethod.channelBind, [peer], [channelNumberAttr(channel)]));
  }

  sendTo(peer: TransportAddress, data: Buffer): void {
    this.raw(sendIndication(peer, data));
  }

  sendOnChannel(channel: number, data: Buffer): void {
    this.raw(encodeChannelData(channel, data));
  }

  /** Waits (bounded) until `count` relayed packets have arrived. */
  waitData(count: number, ms = ANSWER_WAIT_MS): Promise<void> {
    return this.#arrivals.until(
      () => this.data.length >= count,
      () => `only ${this.data.length} of ${count} relayed packets arrived`,
      ms,
    );
  }
}
