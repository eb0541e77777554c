/**
 * Relayed-call load for the TURN part of the benchmark: each call is two TURN allocations of
 * one session (two UDP sockets), bound to each other by a channel, sending ChannelData both
 * ways at a steady rate. Each packet carries its call, direction, sequence number and send
 * time, so the receiving leg (same process, same clock) measures loss and transit time.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { TransportAddress } from '../../src/server/turn/stun-address.js';
import { StunMethod } from '../../src/server/turn/stun-protocol.js';
import {
  channelNumberAttr,
  encodeChannelData,
  lifetimeAttr,
  peerRequest,
  readRelayed,
  requestedTransportUdp,
  TurnTestClient,
} from '../../src/server/turn/testing/turn-test-client.js';

export interface TurnCredential {
  username: string;
  credential: string;
}

/** A TURN server to load: where it listens, and two credentials of one session per call. */
export interface TurnTarget {
  name: string;
  server: TransportAddress;
  /** Credentials for the two legs of one call; `release` ends that session (if the target has one). */
  session(): Promise<{ legs: [TurnCredential, TurnCredential]; release(): void }>;
}

/** What a window of relayed traffic measured. */
export interface WindowResult {
  calls: number;
  sent: number;
  received: number;
  lost: number;
  /** One-way transit through the relay, ms. */
  transitMs: number[];
  /** Packets per second actually sent (below the intended rate means the generator lagged). */
  sendRate: number;
}

const PAYLOAD_BYTES = 1100;
const CHANNEL = 0x4000;
const REQUEST_TIMEOUT_MS = 500;
const REQUEST_TRIES = 6;
const TICK_MS = 1;
/** After the window, how long late packets may still arrive before they count as lost. */
const DRAIN_MS = 300;
/** Packets one leg may send at once after a stall of the generator (its credit is capped). */
const MAX_BURST = 3;

interface Leg {
  socket: Socket;
  client: TurnTestClient;
  relayed: TransportAddress;
  /** Answers awaited, by transaction id. */
  waiting: Map<string, (bytes: Buffer) => void>;
}

/** Sends a request until an answer with its transaction id comes back. */
async function exchange(leg: Omit<Leg, 'relayed'>, server: TransportAddress, bytes: Buffer): Promise<Buffer> {
  const id = bytes.subarray(8, 20).toString('hex');
  for (let i = 0; i < REQUEST_TRIES; i++) {
    const answer = new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), REQUEST_TIMEOUT_MS);
      leg.waiting.set(id, (b) => {
        clearTimeout(timer);
        resolve(b);
      });
    });
    leg.socket.send(bytes, server.port, server.ip);
    const got = await answer;
    leg.waiting.delete(id);
    if (got) return got;
  }
  throw new Error(`no answer from ${server.ip}:${server.port} after ${REQUEST_TRIES} tries`);
}

/**
 * One allocation from a fresh local port. A port the kernel hands out again while the server
 * still holds an allocation for it (its release, LIFETIME 0, is not awaited) gets 437
 * (allocation mismatch): that port is dropped and another one tried.
 */
async function allocate(server: TransportAddress, credential: TurnCredential, onData: (b: Buffer) => void) {
  for (let tries = 1; ; tries++) {
    try {
      return await allocateOnce(server, credential, onData);
    } catch (e) {
      if (!(e instanceof AllocationMismatch) || tries >= REQUEST_TRIES) throw e;
    }
  }
}

class AllocationMismatch extends Error {}

async function allocateOnce(server: TransportAddress, credential: TurnCredential, onData: (b: Buffer) => void) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waiting = new Map<string, (bytes: Buffer) => void>();
  socket.on('message', (bytes) => {
    // ChannelData starts 0x40-0x7F; STUN answers 0x00-0x3F.
    if (bytes.length > 0 && (bytes[0]! & 0xc0) === 0x40) return onData(bytes);
    waiting.get(bytes.subarray(8, 20).toString('hex'))?.(bytes);
  });
  let client = new TurnTestClient(credential);
  const first = client.read(
    await exchange({ socket, client, waiting }, server, client.request(StunMethod.allocate, [requestedTransportUdp])),
  );
  if (first.code === 437) {
    socket.close();
    throw new AllocationMismatch('allocate: 437');
  }
  if (first.code !== 401 || !client.auth) throw new Error(`allocate: expected 401, got ${first.code}`);
  if (client.auth.realm !== client.realm) {
    // The key depends on the realm the server announced.
    const auth = client.auth;
    client = new TurnTestClient(credential, auth.realm);
    client.auth = auth;
  }
  const leg = { socket, client, waiting };
  const ok = client.read(await exchange(leg, server, client.request(StunMethod.allocate, [requestedTransportUdp])));
  if (ok.code !== undefined || !ok.relayed) throw new Error(`allocate refused: ${ok.code}`);
  return { ...leg, relayed: ok.relayed };
}

async function bindChannel(server: TransportAddress, leg: Leg, peer: TransportAddress): Promise<void> {
  const answer = leg.client.read(
    await exchange(leg, server, peerRequest(leg.client, StunMethod.channelBind, [peer], [channelNumberAttr(CHANNEL)])),
  );
  if (answer.code !== undefined) throw new Error(`channel bind refused: ${answer.code}`);
}

/** N relayed calls through one target, set up and ready to send. */
export class RelayedCalls {
  readonly #target: TurnTarget;
  readonly #legs: [Leg, Leg][] = [];
  readonly #releases: (() => void)[] = [];
  #sent = 0;
  #received = 0;
  #transit: number[] = [];
  /** Packets sent in [from, to) are counted (performance.now() times). */
  #window = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };

  private constructor(target: TurnTarget) {
    this.#target = target;
  }

  static async open(target: TurnTarget, calls: number): Promise<RelayedCalls> {
    const set = new RelayedCalls(target);
    try {
      for (let i = 0; i < calls; i++) await set.#openOne();
    } catch (error) {
      await set.close();
      throw error;
    }
    return set;
  }

  async #openOne(): Promise<void> {
    const { legs, release } = await this.#target.session();
    this.#releases.push(release);
    const server = this.#target.server;
    const onData = (bytes: Buffer) => this.#onData(bytes);
    const a = await allocate(server, legs[0], onData);
    const b = await allocate(server, legs[1], onData);
    this.#legs.push([a, b]);
    await bindChannel(server, a, b.relayed);
    await bindChannel(server, b, a.relayed);
  }

  #onData(bytes: Buffer): void {
    const relayed = readRelayed(bytes);
    if (!relayed || relayed.data.length < 8) return;
    const sentAt = relayed.data.readDoubleBE(0);
    if (sentAt < this.#window.from || sentAt >= this.#window.to) return;
    this.#received++;
    this.#transit.push(performance.now() - sentAt);
  }

  /**
   * Sends at `packetsPerSec` each way per call for `warmupMs` (not counted), then `windowMs`
   * (counted); waits for stragglers and reports.
   */
  async run(packetsPerSec: number, warmupMs: number, windowMs: number, onWindow?: (phase: 'start' | 'end') => void) {
    const payload = randomBytes(PAYLOAD_BYTES);
    const server = this.#target.server;
    // Each leg starts at a random phase, so the calls' packets do not all leave in one burst.
    const credit = this.#legs.flatMap(() => [Math.random(), Math.random()]);
    let last = performance.now();
    let windowSent = 0;
    const inWindow = (t: number) => t >= this.#window.from && t < this.#window.to;
    const timer = setInterval(() => {
      const now = performance.now();
      const add = ((now - last) / 1000) * packetsPerSec;
      last = now;
      for (const [i, [a, b]] of this.#legs.entries()) {
        for (const [j, leg] of [a, b].entries()) {
          const k = i * 2 + j;
          // A stalled generator does not catch up in a burst (which would overflow socket
          // buffers and count as the relay's loss): what it could not send is not sent.
          credit[k] = Math.min(MAX_BURST, credit[k]! + add);
          while (credit[k]! >= 1) {
            credit[k]! -= 1;
            const at = performance.now();
            payload.writeDoubleBE(at, 0);
            leg.socket.send(encodeChannelData(CHANNEL, payload), server.port, server.ip);
            if (inWindow(at)) windowSent++;
          }
        }
      }
    }, TICK_MS);
    await new Promise((r) => setTimeout(r, warmupMs));
    this.#window.from = performance.now();
    onWindow?.('start');
    await new Promise((r) => setTimeout(r, windowMs));
    this.#window.to = performance.now();
    onWindow?.('end');
    clearInterval(timer);
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    this.#sent = windowSent;
    const result: WindowResult = {
      calls: this.#legs.length,
      sent: this.#sent,
      received: this.#received,
      lost: Math.max(0, this.#sent - this.#received),
      transitMs: this.#transit,
      sendRate: windowSent / ((this.#window.to - this.#window.from) / 1000),
    };
    this.#sent = this.#received = 0;
    this.#transit = [];
    this.#window = { from: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
    return result;
  }

  async close(): Promise<void> {
    const server = this.#target.server;
    for (const pair of this.#legs) {
      for (const leg of pair) {
        // Release the allocation (LIFETIME 0); an answer is not awaited.
        leg.socket.send(leg.client.request(StunMethod.refresh, [lifetimeAttr(0)]), server.port, server.ip);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
    for (const pair of this.#legs) for (const leg of pair) leg.socket.close();
    for (const release of this.#releases) release();
    this.#legs.length = 0;
  }
}

/** The same traffic with no relay at all: leg to leg over loopback (the floor for transit time). */
export async function directWindow(calls: number, packetsPerSec: number, warmupMs: number, windowMs: number) {
  const sockets: Socket[] = [];
  let measuring = false;
  let sent = 0;
  let received = 0;
  const transit: number[] = [];
  for (let i = 0; i < calls * 2; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    s.on('message', (bytes) => {
      if (!measuring) return;
      received++;
      transit.push(performance.now() - bytes.readDoubleBE(4));
    });
    sockets.push(s);
  }
  const payload = randomBytes(PAYLOAD_BYTES + 4);
  const credit = sockets.map(() => Math.random());
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const add = ((now - last) / 1000) * packetsPerSec;
    last = now;
    for (const [k, s] of sockets.entries()) {
      credit[k] = Math.min(MAX_BURST, credit[k]! + add);
      while (credit[k]! >= 1) {
        credit[k]! -= 1;
        payload.writeDoubleBE(performance.now(), 4);
        const peer = sockets[k ^ 1]!.address().port;
        s.send(payload, peer, '127.0.0.1');
        if (measuring) sent++;
      }
    }
  }, TICK_MS);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  await new Promise((r) => setTimeout(r, windowMs));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  measuring = false;
  for (const s of sockets) s.close();
  return { sent, received, lost: Math.max(0, sent - received), transitMs: transit };
}
