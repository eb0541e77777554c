import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { FakeClock } from '../shared/testing/fake-clock.js';
import { loadTlsMaterial } from './tls.js';

const logger = pino({ level: 'silent' });
/** Certificates are judged against real dates, so the fake wall clock starts now. */
const clock = new FakeClock(Date.now());

test('development certificate: made once for localhost and the addresses, kept 0600, reused, renewed when an address is new', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-tls-'));
  try {
    const config = { tls: undefined, stateDir };
    const first = await loadTlsMaterial(config, { logger, clock, addresses: ['192.0.2.10'] });
    assert.equal(first.selfSigned, true);
    const x509 = new X509Certificate(first.cert);
    for (const ip of ['127.0.0.1', '::1', '192.0.2.10']) assert.ok(x509.checkIP(ip), ip);
    assert.ok(x509.checkHost('localhost'));
    assert.ok(x509.checkPrivateKey(createPrivateKey(first.key)), 'key matches certificate');
    assert.equal(statSync(join(stateDir, 'dev-cert.pem')).mode & 0o777, 0o600);

    const again = await loadTlsMaterial(config, { logger, clock, addresses: ['192.0.2.10'] });
    assert.equal(again.cert, first.cert, 'stable across restarts');

    const moved = await loadTlsMaterial(config, { logger, clock, addresses: ['192.0.2.99'] });
    assert.notEqual(moved.cert, first.cert, 'a new address gets a new certificate');
    assert.ok(new X509Certificate(moved.cert).checkIP('192.0.2.99'));

    const later = await loadTlsMaterial(config, {
      logger,
      addresses: ['192.0.2.99'],
      clock: new FakeClock(Date.now() + 400 * 24 * 3600_000),
    });
    assert.notEqual(later.cert, moved.cert, 'an expired certificate is replaced');
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('configured files are used as they are', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'homecall-tls-'));
  try {
    const made = await loadTlsMaterial({ tls: undefined, stateDir }, { logger, clock, addresses: [] });
    const certFile = join(stateDir, 'c.pem');
    const keyFile = join(stateDir, 'k.pem');
    writeFileSync(certFile, made.cert);
    writeFileSync(keyFile, made.key);
    const loaded = await loadTlsMaterial({ tls: { certFile, keyFile }, stateDir }, { logger, clock });
    assert.deepEqual(loaded, { cert: made.cert, key: made.key, selfSigned: false });
    assert.ok(createPublicKey(loaded.key));
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
