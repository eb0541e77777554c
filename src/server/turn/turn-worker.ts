/**
 * The TURN worker's entry (started by turn-thread.ts): one TurnServer on the worker's own event
 * loop, so relayed media never waits for the main thread (signalling, HTTP, its GC). Messages
 * follow turn-thread-messages.ts.
 */
import { Duplex } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { systemClock } from '../clock.js';
import { type FromWorker, type ToWorker, type TurnWorkerInit, transferable } from './turn-thread-messages.js';
import { TurnServer } from './turn-server.js';

if (parentPort === null) throw new Error('turn-worker.ts runs as a worker thread only');
const port = parentPort;
const init = workerData as TurnWorkerInit;

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const logger = pino(
  { level: init.logLevel, base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
  { write: (line: string) => post({ t: 'log', line }) },
);

/** Questions to the main thread about usernames (turn-thread-messages.ts `ask`), by id. */
const questions = new Map<number, (group: string | null) => void>();
let nextQuestion = 0;
const askGroup = (username: string) =>
  new Promise<string | null>((resolve) => {
    const id = nextQuestion++;
    questions.set(id, resolve);
    post({ t: 'ask', id, username });
  });

const server = new TurnServer({
  askGroup,
  clock: systemClock,
  logger,
  relayIp: init.relayIp,
  credentialTtlMs: init.credentialTtlMs,
  quotas: init.quotas,
  secret: Buffer.from(init.secret),
  ...(init.nonceTtlMs === undefined ? {} : { nonceTtlMs: init.nonceTtlMs }),
  ...(init.realm === undefined ? {} : { realm: init.realm }),
});

/** The main thread's TCP/TLS connections, as streams TurnServer.handleStream serves. */
const streams = new Map<number, Duplex>();

function openStream(id: number, ip: string, remotePort: number): void {
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      const copy = transferable(chunk);
      post({ t: 'stream-write', id, bytes: copy.bytes }, copy.transfer);
      done();
    },
    final(done) {
      post({ t: 'stream-end', id });
      done();
    },
    destroy(error, done) {
      // Closed from here (framing error, idle) or from the main side (then this is a no-op there).
      if (streams.delete(id)) post({ t: 'stream-destroy', id });
      done(error);
    },
  });
  streams.set(id, stream);
  server.handleStream(stream, { ip, port: remotePort });
}

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'group':
      questions.get(message.id)?.(message.group);
      questions.delete(message.id);
      return;
    case 'end':
      server.credentials.endContext(message.contextId);
      return;
    case 'stream-open':
      return openStream(message.id, message.ip, message.port);
    case 'stream-data': {
      const stream = streams.get(message.id);
      const bytes = message.bytes;
      stream?.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      post({ t: 'stream-ack', id: message.id, bytes: bytes.byteLength });
      return;
    }
    case 'stream-close': {
      const stream = streams.get(message.id);
      streams.delete(message.id);
      stream?.push(null);
      stream?.destroy();
      return;
    }
    case 'listen':
      server.listenUdp(message.port, message.host).then(
        (address) => post({ t: 'listening', address }),
        (error: NodeJS.ErrnoException) => post({ t: 'listen-error', code: error.code, message: error.message }),
      );
      return;
    case 'close':
      for (const answer of questions.values()) answer(null);
      questions.clear();
      for (const stream of streams.values()) stream.destroy();
      server.close().then(() => {
        post({ t: 'closed' });
        // Nothing else holds the worker's event loop: it exits (and writes a --cpu-prof profile).
        port.close();
      });
      return;
  }
});
