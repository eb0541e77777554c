import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { publicUrl, startApp } from './app.js';
import { loadConfig } from './config/index.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('http:') ? httpRequest : request;
    const req = send(url, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('startApp: dev certificate, one "listening" line with the real port, /healthz, close() well within 5 s', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-app-'));
  const lines: string[] = [];
  try {
    const config = loadConfig(['--port', '0', '--turn-port', '0', '--host', '127.0.0.1', '--state-dir', stateDir], {});
    const app = await startApp(config, { logDestination: { write: (chunk: string) => void lines.push(chunk) } });
    try {
      assert.ok(app.port > 0);
      assert.equal(app.url, `https://127.0.0.1:${app.port}/`);
      const listening = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'listening');
      assert.deepEqual(
        listening.map((l) => l.url),
        [app.url],
      );
      const health = await get(`${app.url}healthz`);
      assert.deepEqual(health, { status: 200, body: '{"status":"ok"}' });
    } finally {
      const started = performance.now();
      await app.close();
      assert.ok(performance.now() - started < 5000);
    }
    await assert.rejects(get(`${app.url}healthz`));
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('metrics are not public: /metrics is 404 on the public port and served on the loopback metrics listener; off unless --metrics-port is given', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-app-'));
  const lines: string[] = [];
  const logDestination = { write: (chunk: string) => void lines.push(chunk) };
  // TURN on a port of its own choosing: UDP 3478 may be taken by another test running beside this one.
  const base = ['--port', '0', '--host', '127.0.0.1', '--state-dir', stateDir, '--turn-port', '0'];
  try {
    const app = await startApp(loadConfig([...base, '--metrics-port', '0'], {}), { logDestination });
    try {
      assert.match(app.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.notEqual(new URL(app.metricsUrl as string).port, String(app.port));
      const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'metrics listening');
      assert.deepEqual(
        logged.map((l) => l.url),
        [app.metricsUrl],
      );
      const scraped = await get(app.metricsUrl as string);
      assert.equal(scraped.status, 200);
      assert.match(scraped.body, /^homecall_sockets 0$/m);
      const publicMetrics = await get(`${app.url}metrics`);
      assert.equal(publicMetrics.status, 404);
      assert.doesNotMatch(publicMetrics.body, /homecall_/);
      assert.equal((await get(`${app.url}healthz`)).status, 200, '/healthz stays public');
      assert.equal(
        (await get(new URL('/healthz', app.metricsUrl).href)).status,
        404,
        'the metrics listener serves only /metrics',
      );
    } finally {
      await app.close();
    }
    await assert.rejects(get(app.metricsUrl as string), 'the metrics listener closes with the app');

    const quiet = await startApp(loadConfig(base, {}), { logDestination });
    try {
      assert.equal(quiet.metricsUrl, undefined);
      assert.equal((await get(`${quiet.url}metrics`)).status, 404);
    } finally {
      await quiet.close();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

function listenLoopback(port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
const portOf = (server: Server) => (server.address() as { port: number }).port;
const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

test('a listener that cannot start fails startApp and closes the ones already open (the HTTPS port is free again)', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-app-'));
  const blocker = await listenLoopback();
  const probe = await listenLoopback();
  const port = portOf(probe);
  await closeServer(probe);
  try {
    const config = loadConfig(
      ['--port', String(port), '--host', '127.0.0.1', '--state-dir', stateDir, '--turn-port', '0'].concat([
        '--metrics-port',
        String(portOf(blocker)),
        '--metrics-host',
        '127.0.0.1',
      ]),
      {},
    );
    await assert.rejects(startApp(config, { logDestination: { write: () => {} } }), { code: 'EADDRINUSE' });
    await closeServer(await listenLoopback(port));
  } finally {
    await closeServer(blocker);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('publicUrl: localhost for all interfaces, brackets for IPv6, the host otherwise', () => {
  assert.equal(publicUrl(undefined, 8443), 'https://localhost:8443/');
  assert.equal(publicUrl('0.0.0.0', 1), 'https://localhost:1/');
  assert.equal(publicUrl('::', 1), 'https://localhost:1/');
  assert.equal(publicUrl('::1', 9), 'https://[::1]:9/');
  assert.equal(publicUrl('call.example.org', 443), 'https://call.example.org:443/');
});
