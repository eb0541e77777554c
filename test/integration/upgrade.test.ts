// Upgrade refusals before any WebSocket exists: protocol.md "Transport"; reliability.md H1, H2, H4, D3, D4.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, describe, test } from 'node:test';
import { TestClient, tryUpgrade } from '../helpers/client.js';
import { useIntegrationSuite } from '../helpers/suite.js';
import { uuid } from '../helpers/ids.js';
import { expectError } from '../helpers/protocol.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { tlsFiles } from '../helpers/tls.js';

let server: RunningServer;
const faults = useIntegrationSuite();

before(async () => {
  server = await startServer({ '--allowed-origins': 'https://app.example.com' });
});

/** A plain-HTTP request to the TLS port; resolves with the status and headers, or the error text. */
function plainHttp(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; location?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 3000 }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, error: e.message }));
    req.end();
  });
}

describe('TLS only (H1)', () => {
  test('H1: a plain ws:// upgrade to the port is refused with 426, no upgrade', async () => {
    const r = await tryUpgrade(`ws://127.0.0.1:${server.port}/signal`);
    assert.equal(r.status, 426, JSON.stringify(r));
  });

  test('H1: X-Forwarded-Proto: https is not trusted without --trust-proxy (426)', async () => {
    const r = await tryUpgrade(`ws://127.0.0.1:${server.port}/signal`, { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.status, 426, JSON.stringify(r));
  });

  test('H1: with --trust-proxy, plain HTTP is accepted only when the proxy says X-Forwarded-Proto: https', async () => {
    const s = await startServer({ '--trust-proxy': '' });
    const plain = `ws://127.0.0.1:${s.port}/signal`;
    assert.equal((await tryUpgrade(plain)).status, 426);
    assert.equal((await tryUpgrade(plain, { headers: { 'X-Forwarded-Proto': 'http' } })).status, 426);
    assert.equal((await tryUpgrade(plain, { headers: { 'X-Forwarded-Proto': 'https' } })).status, 101);
    const c = await TestClient.connect(plain, { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal((await c.join(uuid())).peer, false);
    await s.close();
  });

  test('H1: a plain-HTTP page request is redirected to https', async () => {
    const r = await plainHttp(server.port, '/?session=x', { Accept: 'text/html' });
    assert.ok([301, 302, 307, 308].includes(r.status), JSON.stringify(r));
    assert.match(r.location ?? '', /^https:\/\//);
  });

  test('H1: a wss:// upgrade to the same port works, verified against the configured certificate', async () => {
    const { cert } = await tlsFiles();
    const r = await tryUpgrade(server.wsUrl, { ca: cert, rejectUnauthorized: true });
    assert.equal(r.status, 101, JSON.stringify(r));
  });

  test('H11: permessage-deflate offered by the client is not negotiated', async () => {
    const r = await tryUpgrade(server.wsUrl, { perMessageDeflate: true });
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-extensions'], undefined);
  });
});

describe('Origin (H4)', () => {
  test('H4: no Origin (a non-browser client) is accepted', async () => {
    assert.equal((await tryUpgrade(server.wsUrl)).status, 101);
  });

  test('H4: the same origin as the Host is accepted', async () => {
    assert.equal((await tryUpgrade(server.wsUrl, { origin: `https://127.0.0.1:${server.port}` })).status, 101);
  });

  test('H4: a configured allowed origin is accepted', async () => {
    assert.equal((await tryUpgrade(server.wsUrl, { origin: 'https://app.example.com' })).status, 101);
  });

  const foreign = (port: number) => [
    'https://evil.example',
    'https://app.example.com.evil.com',
    'https://evil.com/https://app.example.com',
    `https://127.0.0.1:${port}.evil.com`,
    'http://app.example.com',
    `http://127.0.0.1:${port}`,
    `https://127.0.0.1:${port + 1}`,
    'null',
    'https://APP.example.com',
    'https://app.example.com/',
  ];
  test('H4: foreign origins (suffix attack, null, other scheme or port, not exact) are refused with 403', async () => {
    for (const origin of foreign(server.port)) {
      const r = await tryUpgrade(server.wsUrl, { origin });
      assert.equal(r.status, 403, `${origin}: ${JSON.stringify(r)}`);
    }
  });
});

describe('path (H2)', () => {
  test('H2: a wrong path is refused (404) without an upgrade', async () => {
    for (const path of ['/signalx', '/SIGNAL', '/signal/', '/signal/../x', '/signal%00', '/']) {
      const r = await tryUpgrade(`wss://127.0.0.1:${server.port}${path}`);
      assert.ok([400, 404].includes(r.status), `${path}: ${JSON.stringify(r)}`);
    }
  });
});

describe('capacity (D3, D4)', () => {
  test('D3: over --sockets-per-address the upgrade gets 429; a freed slot can be used again', async () => {
    const s = await startServer({ '--sockets-per-address': '3', '--join-timeout': '5s' });
    const open = await Promise.all([1, 2, 3].map(() => TestClient.connect(s.wsUrl)));
    assert.equal((await tryUpgrade(s.wsUrl)).status, 429);
    open[0]!.close();
    await open[0]!.waitClose();
    // The slot is free once the server has handled the close: retried (bounded) until then.
    let again: TestClient | null = null;
    for (let i = 0; i < 100 && again === null; i++) {
      again = await TestClient.connect(s.wsUrl).catch(async (e: Error) => {
        assert.match(e.message, /HTTP 429/);
        await new Promise((r) => setTimeout(r, 50));
        return null;
      });
    }
    assert.ok(again?.isOpen, 'a freed slot can be used again');
    await s.close();
  });

  test('D3: over --max-sockets the upgrade gets 503', async () => {
    const s = await startServer({ '--max-sockets': '2', '--max-sessions': '2', '--join-timeout': '5s' });
    await Promise.all([1, 2].map(() => TestClient.connect(s.wsUrl)));
    assert.equal((await tryUpgrade(s.wsUrl)).status, 503);
    await s.close();
  });

  test('D4: over --max-sessions a new session gets SERVER_BUSY then close 1013; joining an existing one still works', async () => {
    const s = await startServer({ '--max-sessions': '1' });
    const id = uuid();
    const a = await TestClient.connect(s.wsUrl);
    await a.join(id);
    const c = await TestClient.connect(s.wsUrl);
    const other = uuid();
    c.send({ type: 'join', sessionId: other });
    await expectError(c, 'SERVER_BUSY', [other, null]);
    assert.equal((await c.waitClose()).code, 1013);
    const b = await TestClient.connect(s.wsUrl);
    assert.equal((await b.join(id)).peer, true);
    await s.close();
  });
});

test('X6: no uncaughtException or unhandledRejection during this file', () => {
  assert.equal(faults.count, 0, String(faults.errors[0]));
});
