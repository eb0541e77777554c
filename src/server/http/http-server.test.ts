import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { generate } from 'selfsigned';
import { systemClock } from '../clock.js';
import { noopMetrics } from '../testing/noop-metrics.js';
import { createHttpServer, type HomeCallHttpServer } from './http-server.js';
import { sendText } from './static-files.js';

const logger = pino({ level: 'silent' });
const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
const UPGRADE_HEADERS =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

interface Harness {
  port: number;
  upgrades: string[];
  refused: number[];
  server: HomeCallHttpServer;
}

async function start(
  t: { after(fn: () => Promise<void>): void },
  opts: { trustProxy?: boolean; tlsHandshakeMs?: number; headersTimeoutMs?: number } = {},
): Promise<Harness> {
  const upgrades: string[] = [];
  const refused: number[] = [];
  const server = createHttpServer({
    tls: { key: pems.private, cert: pems.cert },
    limits: { tlsHandshakeMs: opts.tlsHandshakeMs ?? 10_000, headersTimeoutMs: opts.headersTimeoutMs ?? 10_000 },
    trustProxy: opts.trustProxy ?? false,
    logger,
    metrics: { ...noopMetrics, upgradeRefused: (status) => refused.push(status) },
    clock: systemClock,
    handleRequest: async (req, res) => sendText(res, req, 200, `page ${req.url}`),
    gateway: {
      handleUpgrade(req: IncomingMessage, socket) {
        upgrades.push(req.url ?? '');
        socket.end('HTTP/1.1 418 Gateway Reached\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      },
    },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close());
  return { port, upgrades, refused, server };
}

/** Writes raw bytes and collects everything until the server closes (bounded by a timer). */
function exchange(port: number, request: string, secure: boolean, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = secure
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => socket.write(request))
      : netConnect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(`${text}<timeout>`);
    }, waitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const statusOf = (response: string) => Number(response.split(' ')[1]);

test('plain page request: redirected to https on the same host and port, nothing served', async (t) => {
  const h = await start(t);
  const res = await exchange(
    h.port,
    `GET /?session=abc HTTP/1.1\r\nHost: localhost:${h.port}\r\nConnection: close\r\n\r\n`,
    false,
  );
  assert.equal(statusOf(res), 308);
  assert.match(res, new RegExp(`Location: https://localhost:${h.port}/\\?session=abc\\r\\n`));
  assert.doesNotMatch(res, /page /);
  const post = await exchange(
    h.port,
    'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    false,
  );
  assert.equal(statusOf(post), 405);
  const badHost = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: evil.example/x\r\nConnection: close\r\n\r\n', false);
  assert.equal(statusOf(badHost), 400);
});

test('plain WebSocket upgrade: 426, the gateway is never called', async (t) => {
  const h = await start(t);
  const res = await exchange(h.port, `GET /signal HTTP/1.1\r\nHost: localhost\r\n${UPGRADE_HEADERS}\r\n`, false);
  assert.equal(statusOf(res), 426);
  assert.deepEqual(h.upgrades, []);
  assert.deepEqual(h.refused, [426]);
});

test('without --trust-proxy, X-Forwarded-Proto is ignored', async (t) => {
  const h = await start(t);
  const page = await exchange(
    h.port,
    'GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
    false,
  );
  assert.equal(statusOf(page), 308);
  const ws = await exchange(
    h.port,
    `GET /signal HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n${UPGRADE_HEADERS}\r\n`,
    false,
  );
  assert.equal(statusOf(ws), 426);
  assert.deepEqual(h.upgrades, []);
});

test('with --trust-proxy, plain requests marked https by the proxy are served, others still redirected', async (t) => {
  const h = await start(t, { trustProxy: true });
  const page = await exchange(
    h.port,
    'GET /x HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
    false,
  );
  assert.equal(statusOf(page), 200);
  assert.match(page, /page \/x/);
  const ws = await exchange(
    h.port,
    `GET /signal HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n${UPGRADE_HEADERS}\r\n`,
    false,
  );
  assert.equal(statusOf(ws), 418);
  assert.deepEqual(h.upgrades, ['/signal']);
  const http = await exchange(
    h.port,
    'GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n',
    false,
  );
  assert.equal(statusOf(http), 308);
  const wsHttp = await exchange(h.port, `GET /signal HTTP/1.1\r\nHost: localhost\r\n${UPGRADE_HEADERS}\r\n`, false);
  assert.equal(statusOf(wsHttp), 426);
});

test('over TLS: pages are served, and only the exact /signal path reaches the gateway', async (t) => {
  const h = await start(t);
  const page = await exchange(h.port, 'GET /?session=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', true);
  assert.equal(statusOf(page), 200);
  const ok = await exchange(h.port, `GET /signal HTTP/1.1\r\nHost: localhost\r\n${UPGRADE_HEADERS}\r\n`, true);
  assert.equal(statusOf(ok), 418);
  const okQuery = await exchange(h.port, `GET /signal?v=1 HTTP/1.1\r\nHost: localhost\r\n${UPGRADE_HEADERS}\r\n`, true);
  assert.equal(statusOf(okQuery), 418);
  for (const path of ['/signal/', '/SIGNAL', '/signalx', '/signal/../x', '/signal%00', '/']) {
    const res = await exchange(h.port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${UPGRADE_HEADERS}\r\n`, true);
    assert.equal(statusOf(res), 404, path);
  }
  assert.deepEqual(h.upgrades, ['/signal', '/signal?v=1']);
});

test('headers over 8 KiB are refused with 431', async (t) => {
  const h = await start(t);
  // 12 KiB fits one TLS record, so the server has read it all when it answers (no RST race).
  const big = `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(12 * 1024)}\r\n\r\n`;
  assert.equal(statusOf(await exchange(h.port, big, true)), 431);
  assert.equal(statusOf(await exchange(h.port, big, false)), 431);
});

test('a connection that sends nothing is closed after the TLS handshake timeout', async (t) => {
  const h = await start(t, { tlsHandshakeMs: 200 });
  const startedAt = performance.now();
  const res = await exchange(h.port, '', false, 3000);
  assert.doesNotMatch(res, /<timeout>/);
  assert.ok(performance.now() - startedAt < 2000);
});

test('slow headers are cut by headersTimeout (connection tracking is on)', async (t) => {
  const h = await start(t, { headersTimeoutMs: 300 });
  for (const secure of [false, true]) {
    const startedAt = performance.now();
    const res = await exchange(h.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n', secure, 4000);
    assert.doesNotMatch(res, /<timeout>/, secure ? 'tls' : 'plain');
    assert.ok(performance.now() - startedAt < 2500, secure ? 'tls' : 'plain');
  }
});

test('close() cuts open connections and stops listening', async (t) => {
  const h = await start(t);
  const pending = exchange(h.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n', true, 4000);
  await new Promise((resolve) => setTimeout(resolve, 100));
  await h.server.close();
  assert.doesNotMatch(await pending, /<timeout>/);
  await assert.rejects(fetch(`http://127.0.0.1:${h.port}/`));
});
