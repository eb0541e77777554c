/**
 * The floor: the least a signalling relay can do. It speaks wss with the benchmark's
 * certificate, pairs the first two sockets that join an id and forwards every later frame
 * verbatim, with no validation, no limits, no logging and no queue. Whatever HomeCall costs
 * above this is the price of its checks, its logging and its session model.
 *
 * It answers just enough of the protocol for the same generator and the same browser flow to
 * drive it: `joined` (peer false/true), `peer` `joined` to the first, and on `hangup` it
 * relays, confirms and closes both sockets with 1000. It also serves the floor page
 * (`bench/browser/floor.html`) at `/` so the browser measurement has a floor too.
 *
 * Command line mirrors the server's: `--port 0 --host 127.0.0.1 --tls-cert F --tls-key F`.
 * Prints one JSON line `{"msg":"listening","url":"https://HOST:PORT/"}` on stdout.
 * `--plain` (no certificate) speaks plain HTTP and ws instead, the floor for a server behind
 * a TLS-terminating proxy (the proxy-cost part); its URL is then `http://HOST:PORT/`.
 */
import { readFileSync } from 'node:fs';
import { createServer as createPlainServer, type RequestListener } from 'node:http';
import { createServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    // Diagnosis only: put HomeCall's front (a net.Server that reads the first byte and hands
    // the socket to the TLS server) before the floor, to measure that front's own cost.
    sniff: { type: 'boolean', default: false },
    plain: { type: 'boolean', default: false },
  },
  strict: false,
});
const certFile = values['tls-cert'];
const keyFile = values['tls-key'];
const plain = values.plain === true;
if (!plain && (typeof certFile !== 'string' || typeof keyFile !== 'string')) {
  console.error('floor-relay: --tls-cert and --tls-key are required (or --plain)');
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const floorPage = readFileSync(join(here, 'browser', 'floor.html'));

interface Pair {
  a: WebSocket | null;
  b: WebSocket | null;
}
const pairs = new Map<string, Pair>();
const placeOf = new WeakMap<WebSocket, { id: string; pair: Pair }>();

const serve: RequestListener = (req, res) => {
  if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(floorPage);
    return;
  }
  res.writeHead(404).end();
};
const server = plain
  ? createPlainServer(serve)
  : createServer({ cert: readFileSync(String(certFile)), key: readFileSync(String(keyFile)) }, serve);
const wss = new WebSocketServer({ server, path: '/signal', perMessageDeflate: false });

const send = (ws: WebSocket | null, text: string) => {
  if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(text);
};

// Frames from the generator and the floor page are built with the protocol builders, so
// `type` is always the first key: peeking at the first bytes is enough to spot a hangup.
const HANGUP_PREFIX = '{"type":"hangup"';

wss.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data: RawData) => {
    const place = placeOf.get(ws);
    const buf = data as Buffer;
    if (place === undefined) {
      // The first frame is the join: the only one whose body the floor reads.
      let id: string;
      try {
        id = String((JSON.parse(buf.toString()) as { sessionId: unknown }).sessionId);
      } catch {
        ws.close(1003);
        return;
      }
      let pair = pairs.get(id);
      if (pair === undefined) {
        pair = { a: ws, b: null };
        pairs.set(id, pair);
        placeOf.set(ws, { id, pair });
        ws.send(JSON.stringify({ type: 'joined', sessionId: id, peer: false, resume: '', iceServers: [] }));
        return;
      }
      if (pair.a !== null && pair.b !== null) {
        ws.close(1000);
        return;
      }
      const other = pair.a ?? pair.b;
      if (pair.a === null) pair.a = ws;
      else pair.b = ws;
      placeOf.set(ws, { id, pair });
      ws.send(JSON.stringify({ type: 'joined', sessionId: id, peer: other !== null, resume: '', iceServers: [] }));
      send(other, JSON.stringify({ type: 'peer', sessionId: id, state: 'joined' }));
      return;
    }
    const other = place.pair.a === ws ? place.pair.b : place.pair.a;
    if (other !== null && other.readyState === WebSocket.OPEN) other.send(buf, { binary: false });
    if (buf.length < 200 && buf.toString('latin1', 0, HANGUP_PREFIX.length) === HANGUP_PREFIX) {
      ws.send(buf, { binary: false });
      pairs.delete(place.id);
      ws.close(1000);
      other?.close(1000);
    }
  });
  ws.on('close', () => {
    const place = placeOf.get(ws);
    if (place === undefined) return;
    const { pair, id } = place;
    if (pair.a === ws) pair.a = null;
    if (pair.b === ws) pair.b = null;
    const other = pair.a ?? pair.b;
    if (other === null) {
      if (pairs.get(id) === pair) pairs.delete(id);
    } else {
      send(other, JSON.stringify({ type: 'peer', sessionId: id, state: 'left' }));
    }
  });
});

const front = values.sniff
  ? createNetServer({ noDelay: true }, (socket) => {
      socket.on('error', () => {});
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        socket.unshift(chunk);
        server.emit('connection', socket);
      });
    })
  : server;
front.listen(Number(values.port), String(values.host), () => {
  const { port } = front.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', url: `${plain ? 'http' : 'https'}://${values.host}:${port}/` })}\n`,
  );
});
const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
