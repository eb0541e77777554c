import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  clientAddress,
  type UpgradeLoad,
  type UpgradePolicy,
  type UpgradeRequest,
  vetUpgrade,
} from './upgrade-policy.js';

const POLICY: UpgradePolicy = {
  trustProxy: false,
  allowedOrigins: new Set(['https://call.example.org']),
  maxSockets: 10,
  socketsPerAddress: 2,
};
const IDLE: UpgradeLoad = { shuttingDown: false, sockets: 0, socketsOf: () => 0 };
const REQUEST: UpgradeRequest = {
  url: '/signal',
  encrypted: true,
  headers: { host: 'Home.Example:8443', origin: 'https://home.example:8443' },
  remoteAddress: '192.0.2.7',
};

const verdict = (
  req: Partial<UpgradeRequest>,
  policy: Partial<UpgradePolicy> = {},
  load: Partial<UpgradeLoad> = {},
) => {
  const r = vetUpgrade({ ...REQUEST, ...req }, { ...POLICY, ...policy }, { ...IDLE, ...load });
  return r.ok ? r.value.address : r.error;
};

describe('vetUpgrade: every refusal of an upgrade to /signal, without a socket', () => {
  test('H2: only the exact path /signal (a query is allowed)', () => {
    assert.equal(verdict({ url: '/signal?x=1' }), '192.0.2.7');
    for (const url of ['/signal/', '/SIGNAL', '/signal%00', '/', '', undefined])
      assert.equal(verdict({ url }), 404, url);
  });

  test('H1: plain connections are refused with 426, unless a trusted proxy says https', () => {
    assert.equal(verdict({ encrypted: false }), 426);
    const proxied = { encrypted: false, headers: { ...REQUEST.headers, 'x-forwarded-proto': 'https' } };
    assert.equal(verdict(proxied), 426, 'the header alone is not trusted');
    assert.equal(verdict(proxied, { trustProxy: true }), '192.0.2.7');
    const plainProxy = { encrypted: false, headers: { ...REQUEST.headers, 'x-forwarded-proto': 'http' } };
    assert.equal(verdict(plainProxy, { trustProxy: true }), 426);
  });

  test('H4: no Origin, the same origin as the Host, or an exact configured one', () => {
    assert.equal(verdict({ headers: { host: 'home.example:8443' } }), '192.0.2.7');
    assert.equal(verdict({ headers: { host: 'x', origin: 'https://call.example.org' } }), '192.0.2.7');
    for (const origin of [
      'https://home.example:8443.evil.example',
      'https://evil.home.example:8443',
      'http://home.example:8443',
      'https://home.example',
      'null',
      'https://call.example.org.evil',
    ]) {
      assert.equal(verdict({ headers: { host: 'home.example:8443', origin } }), 403, origin);
    }
    assert.equal(verdict({ headers: { origin: 'https://home.example:8443' } }), 403, 'no Host to compare with');
  });

  test('D3/D4: shutting down or at --max-sockets is 503; over --sockets-per-address is 429', () => {
    assert.equal(verdict({}, {}, { shuttingDown: true }), 503);
    assert.equal(verdict({}, {}, { sockets: 10 }), 503);
    assert.equal(verdict({}, {}, { sockets: 9 }), '192.0.2.7');
    assert.equal(verdict({}, {}, { socketsOf: (a) => (a === '192.0.2.7' ? 2 : 0) }), 429);
    assert.equal(verdict({}, {}, { socketsOf: (a) => (a === '192.0.2.7' ? 1 : 0) }), '192.0.2.7');
  });

  test('refusals come in protocol order: path, TLS, Origin, capacity, per-address', () => {
    const full: Partial<UpgradeLoad> = { shuttingDown: true, socketsOf: () => 99 };
    assert.equal(verdict({ url: '/x', encrypted: false, headers: { origin: 'null' } }, {}, full), 404);
    assert.equal(verdict({ encrypted: false, headers: { origin: 'null' } }, {}, full), 426);
    assert.equal(verdict({ headers: { origin: 'null' } }, {}, full), 403);
    assert.equal(verdict({}, {}, full), 503);
  });
});

describe('clientAddress', () => {
  test('the socket address, unless a trusted proxy appended the last X-Forwarded-For hop', () => {
    const req = { ...REQUEST, headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.4' } };
    assert.equal(clientAddress(req, false), '192.0.2.7', 'a client-supplied header is ignored');
    assert.equal(clientAddress(req, true), '198.51.100.4', 'only the hop the proxy added counts');
    assert.equal(clientAddress({ ...REQUEST, headers: { 'x-forwarded-for': ['a', 'b, c'] } }, true), 'c');
    assert.equal(clientAddress({ ...REQUEST, headers: {} }, true), '192.0.2.7', 'no header: the socket');
    assert.equal(clientAddress({ ...REQUEST, remoteAddress: undefined }, false), 'unknown');
  });

  test('the socket address is not read (a system call) when the trusted proxy gave one', () => {
    let reads = 0;
    const req = {
      ...REQUEST,
      headers: { ...REQUEST.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.4' },
      get remoteAddress() {
        reads += 1;
        return '192.0.2.7';
      },
    };
    const r = vetUpgrade(req, { ...POLICY, trustProxy: true }, IDLE);
    assert.deepEqual(r, { ok: true, value: { address: '198.51.100.4' } });
    assert.equal(reads, 0);
    assert.equal(clientAddress(req, false), '192.0.2.7');
    assert.equal(reads, 1, 'read when it is the address');
  });
});
