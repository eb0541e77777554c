import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../logger.js';
import type { TurnServerOptions } from './turn-core.js';
import { TurnCredentials } from './turn-credentials.js';
import { DEFAULT_TURN_QUOTAS } from './turn-quotas.js';
import { type FromWorker, type ToWorker, type TurnWorkerInit, transferable } from './turn-thread-messages.js';

/** A TurnServer's options; relayed ports are picked in the worker (Math.random), which asks this thread about usernames. */
export type ThreadedTurnServerOptions = Omit<TurnServerOptions, 'random' | 'askGroup'>;

/** Bytes of one connection forwarded to the worker and not yet handled there; reading pauses above. */
const MAX_STREAM_IN_FLIGHT = 1024 * 1024;
/** How long close() waits for the worker to close its socket and exit on its own. */
const CLOSE_WAIT_MS = 5000;

/**
 * Credentials minted and revoked here, on the main thread, as before (same public API). A mint
 * costs the worker nothing: most calls never use TURN. The worker asks about a username the
 * first time a request carries it (`vouch`) and checks it with the same secret; the contexts it
 * was answered about are remembered, and only their end is forwarded. The answer and the end
 * go out on one port, in order, so the worker never holds a tag of an ended context after the
 * end: a context's end reaches the worker before anything the main thread does afterwards
 * (the hangup it answers, for one), and a question about an ended context is answered null.
 */
class ForwardingCredentials extends TurnCredentials {
  readonly #forward: (message: ToWorker) => void;
  /** Live contexts the worker was answered about (it holds their tags). */
  readonly #told = new Set<string>();

  constructor(options: { clock: Clock; ttlMs: number; secret: Buffer }, forward: (message: ToWorker) => void) {
    super(options);
    this.#forward = forward;
  }

  /** The live context a username belongs to, for the worker (which is then told of its end). */
  vouch(username: string): string | null {
    const holder = this.holderOf(username);
    if (holder === null) return null;
    this.#told.add(holder.group);
    return holder.group;
  }

  override endContext(contextId: string): void {
    super.endContext(contextId);
    if (this.#told.delete(contextId)) this.#forward({ t: 'end', contextId });
  }
}

/**
 * Starts the worker's entry next to this file: turn-worker.js in dist/; under tsx (tests,
 * `npm run dev`) turn-worker.ts through tsx's loader, which a worker thread does not inherit
 * from `--import tsx` on Node 20.
 */
function startWorker(workerData: TurnWorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./turn-worker.js', import.meta.url), { workerData });
  const entry = JSON.stringify(new URL('./turn-worker.ts', import.meta.url).href);
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${api}).then((tsx) => tsx.tsImport(${entry}, ${entry}))`, { eval: true, workerData });
}

/**
 * The built-in STUN/TURN server with its per-packet work on a worker thread (turn-worker.ts):
 * the UDP listener, the allocations and the relay run on the worker's own event loop, so a
 * busy main thread (signalling, HTTP, its garbage collection) stalls no relayed media. Same
 * API as TurnServer for the app: `credentials`, `listenUdp`, `handleStream`, `close`. TCP/TLS
 * connections arrive on the HTTPS port (main thread); their bytes are forwarded to the worker
 * and its answers back (turn-thread-messages.ts).
 */
export class ThreadedTurnServer {
  readonly credentials: TurnCredentials;
  readonly #credentials: ForwardingCredentials;
  readonly #log: Logger;
  readonly #worker: Worker;
  readonly #streams = new Map<number, { stream: Duplex; inFlight: number }>();
  #listening: { resolve: (a: AddressInfo) => void; reject: (e: Error) => void } | null = null;
  #closed: (() => void) | null = null;
  #closing = false;
  #nextStream = 0;

  constructor(options: ThreadedTurnServerOptions) {
    this.#log = options.logger;
    const secret = options.secret ?? randomBytes(32);
    const init: TurnWorkerInit = {
      secret: new Uint8Array(secret),
      relayIp: options.relayIp,
      credentialTtlMs: options.credentialTtlMs,
      quotas: { ...(options.quotas ?? DEFAULT_TURN_QUOTAS) },
      ...(options.nonceTtlMs === undefined ? {} : { nonceTtlMs: options.nonceTtlMs }),
      ...(options.realm === undefined ? {} : { realm: options.realm }),
      logLevel: options.logger.level,
    };
    this.#worker = startWorker(init);
    this.#credentials = new ForwardingCredentials(
      { clock: options.clock, ttlMs: options.credentialTtlMs, secret },
      (message) => this.#post(message),
    );
    this.credentials = this.#credentials;
    this.#worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#worker.on('error', (error) => {
      // No relay without the worker: as loud as an exception in the relay itself used to be.
      this.#log.error({ event: 'turn-worker-failed', err: error }, 'turn worker failed');
      throw error;
    });
    this.#worker.on('exit', (code) => {
      if (this.#closing) return;
      this.#log.error({ event: 'turn-worker-exited', code }, 'turn worker exited');
      throw new Error(`the TURN worker exited (${code})`);
    });
  }

  /** Listens for STUN/TURN over UDP, in the worker. */
  listenUdp(port: number, host?: string): Promise<AddressInfo> {
    if (this.#listening !== null) return Promise.reject(new Error('listenUdp already pending'));
    return new Promise((resolve, reject) => {
      this.#listening = { resolve, reject };
      this.#post({ t: 'listen', port, ...(host === undefined ? {} : { host }) });
    });
  }

  /** Serves STUN/TURN over one TCP or TLS connection of the HTTPS port (framed in the worker). */
  handleStream(stream: Duplex, remote: { ip: string; port: number }): void {
    const id = this.#nextStream++;
    const entry = { stream, inFlight: 0 };
    this.#streams.set(id, entry);
    this.#post({ t: 'stream-open', id, ip: remote.ip, port: remote.port });
    stream.on('data', (chunk: Buffer) => {
      const copy = transferable(chunk);
      entry.inFlight += chunk.length;
      this.#post({ t: 'stream-data', id, bytes: copy.bytes }, copy.transfer);
      if (entry.inFlight > MAX_STREAM_IN_FLIGHT) stream.pause();
    });
    stream.on('error', noop);
    stream.once('close', () => {
      if (this.#streams.delete(id)) this.#post({ t: 'stream-close', id });
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    const closed = new Promise<void>((resolve) => {
      this.#closed = resolve;
    });
    this.#post({ t: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS, 'late');
    });
    if ((await Promise.race([closed.then(() => exited), late])) === 'late') await this.#worker.terminate();
    clearTimeout(timer);
    for (const { stream } of this.#streams.values()) stream.destroy();
    this.#streams.clear();
  }

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.#closing && message.t !== 'close') return;
    this.#worker.postMessage(message, transfer);
  }

  #onMessage(message: FromWorker): void {
    switch (message.t) {
      case 'stream-write': {
        const stream = this.#streams.get(message.id)?.stream;
        const bytes = message.bytes;
        if (stream?.writable) stream.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        return;
      }
      case 'stream-ack': {
        const entry = this.#streams.get(message.id);
        if (entry === undefined) return;
        entry.inFlight -= message.bytes;
        if (entry.inFlight <= MAX_STREAM_IN_FLIGHT && entry.stream.isPaused()) entry.stream.resume();
        return;
      }
      case 'stream-end':
        this.#streams.get(message.id)?.stream.end();
        return;
      case 'stream-destroy': {
        const entry = this.#streams.get(message.id);
        this.#streams.delete(message.id);
        entry?.stream.destroy();
        return;
      }
      case 'ask':
        this.#post({ t: 'group', id: message.id, group: this.#credentials.vouch(message.username) });
        return;
      case 'log':
        return this.#relog(message.line);
      case 'listening':
        this.#listening?.resolve(message.address);
        this.#listening = null;
        return;
      case 'listen-error': {
        const error: NodeJS.ErrnoException = new Error(message.message);
        if (message.code !== undefined) error.code = message.code;
        this.#listening?.reject(error);
        this.#listening = null;
        return;
      }
      case 'closed':
        this.#closed?.();
        return;
    }
  }

  /** A worker log line, logged again by the main logger (one log stream, one format). */
  #relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { level, msg, ...fields } = entry;
    const log = this.#log;
    const method =
      level === 'error' || level === 'warn' || level === 'info' || level === 'debug' || level === 'trace'
        ? level
        : 'info';
    if (typeof msg === 'string') log[method](fields, msg);
    else log[method](fields);
  }
}

function noop(): void {}
