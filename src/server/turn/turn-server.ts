import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../logger.js';
import type { Allocation, AllocationTable, TurnClient } from './allocation-table.js';
import { frameStream, looksLikeChannelData } from './channel-data.js';
import type { TransportAddress } from './stun-address.js';
import { createTurnCore, type TurnServerOptions } from './turn-core.js';
import type { TurnCredentials } from './turn-credentials.js';
import type { TurnHandler } from './turn-handler.js';

/** Socket buffers of the UDP listener (see listenUdp). */
const UDP_BUFFER_BYTES = 4 * 1024 * 1024;

/** A TCP/TLS connection that has not allocated within this is closed. */
const STREAM_IDLE_MS = 60_000;
/** A stream message is at most a 64 KiB STUN message or ChannelData, plus its header. */
const MAX_STREAM_BUFFER = 65_536 + 24;

/**
 * The built-in STUN/TURN server: one UDP listener, plus TCP/TLS connections handed over by the
 * HTTPS port. Credentials are minted per participant through `credentials` and die with their
 * session context; relaying happens only between allocations of one call, inside the process.
 */
export class TurnServer {
  readonly credentials: TurnCredentials;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #allocations: AllocationTable;
  readonly #handler: TurnHandler;
  readonly #streams = new Map<string, Duplex>();
  readonly #sockets = new Set<UdpSocket>();
  #nextStream = 0;

  constructor(options: TurnServerOptions) {
    this.#clock = options.clock;
    this.#log = options.logger;
    const core = createTurnCore(options, (allocation) => this.#deleted(allocation));
    this.credentials = core.credentials;
    this.#allocations = core.allocations;
    this.#handler = core.handler;
  }

  /** Listens for STUN/TURN over UDP. */
  listenUdp(port: number, host?: string): Promise<AddressInfo> {
    const socket = createSocket({
      type: host?.includes(':') ? 'udp6' : 'udp4',
      // One socket carries every relayed call: with the kernel's default buffer (~208 KiB), a
      // 100 ms stall of the event loop at 20 calls (~7,000 packets/s) overflows it and media is
      // lost. The kernel caps these at net.core.rmem_max / wmem_max.
      recvBufferSize: UDP_BUFFER_BYTES,
      sendBufferSize: UDP_BUFFER_BYTES,
    });
    this.#sockets.add(socket);
    socket.on('message', (bytes: Buffer, from: RemoteInfo) => {
      const key = `u|${from.address}|${from.port}`;
      // The media path: no client object and no send closure per packet (the relay sends
      // through the receiving allocation's own client).
      if (looksLikeChannelData(bytes)) return this.#handler.relay.handleChannelData(bytes, key);
      this.#handler.handle(bytes, {
        key,
        address: normalize(from.address, from.port),
        stream: false,
        send: (out) => socket.send(out, from.port, from.address, noop),
      });
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, ...(host === undefined ? {} : { address: host }) }, () => {
        socket.off('error', reject);
        // A send that fails (unreachable client) must never bring the server down.
        socket.on('error', (error: NodeJS.ErrnoException) => this.#log.warn({ code: error.code }, 'turn udp error'));
        resolve(socket.address());
      });
    });
  }

  /**
   * Serves STUN/TURN over one TCP or TLS connection (RFC 8656 §12.5 framing), from its first
   * byte. `remote` is the connection's source address.
   */
  handleStream(stream: Duplex, remote: { ip: string; port: number }): void {
    const key = `s|${this.#nextStream++}`;
    this.#streams.set(key, stream);
    const client: TurnClient = {
      key,
      address: normalize(remote.ip, remote.port),
      stream: true,
      send: (out) => {
        if (stream.writable) stream.write(out);
      },
      gone: () => !this.#streams.has(key),
    };
    let pending = Buffer.alloc(0);
    const idle = this.#clock.setTimeout(() => {
      if (this.#allocations.ofClient(key) === undefined) stream.destroy();
    }, STREAM_IDLE_MS);
    stream.on('data', (chunk: Buffer) => {
      const framed = frameStream(pending.length === 0 ? chunk : Buffer.concat([pending, chunk]));
      for (const message of framed.messages) this.#handler.handle(message, client);
      pending = Buffer.from(framed.rest);
      if (framed.error !== undefined || pending.length > MAX_STREAM_BUFFER) stream.destroy();
    });
    stream.on('error', noop);
    stream.once('close', () => {
      this.#clock.clearTimeout(idle);
      this.#streams.delete(key);
      const allocation = this.#allocations.ofClient(key);
      if (allocation !== undefined) this.#allocations.delete(allocation);
    });
  }

  async close(): Promise<void> {
    this.#allocations.deleteAll();
    for (const stream of this.#streams.values()) stream.destroy();
    await Promise.all([...this.#sockets].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.#sockets.clear();
  }

  #deleted(allocation: Allocation): void {
    this.#log.info({ event: 'turn-released', allocations: this.#allocations.size });
    // A stream's allocation is the stream's reason to exist (RFC 8656 §12.5).
    this.#streams.get(allocation.client.key)?.end();
  }
}

function noop(): void {}

/** The address a client is told it has: IPv4-mapped IPv6 shown as IPv4. */
function normalize(ip: string, port: number): TransportAddress {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return { family: 4, ip: ip.slice(7), port };
  return { family: ip.includes(':') ? 6 : 4, ip, port };
}
