// Certificate reload without a restart (issue 9): the server re-reads --tls-cert/--tls-key
// when the files change and on SIGHUP; a TLS client then sees the new serial, while a wss
// call opened before stays open and keeps relaying. A broken pair is refused with a log line
// saying why, and the previous certificate keeps being served.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, test } from 'node:test';
import { generate } from 'selfsigned';
import { closeAllClients } from '../helpers/client.js';
import { joinPair, offer } from '../helpers/protocol.js';
import { spawnServer, stopAllServers } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'homecall-reload-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');

after(async () => {
  await closeAllClients();
  await stopAllServers();
  rmSync(dir, { recursive: true, force: true });
});

async function makePair(): Promise<{ cert: string; key: string; serial: string }> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const { X509Certificate } = await import('node:crypto');
  return { cert: pems.cert, key: pems.private, serial: new X509Certificate(pems.cert).serialNumber.toLowerCase() };
}

function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().serialNumber).toLowerCase());
      socket.end();
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('TLS connect timed out')));
    socket.on('error', reject);
  });
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('reload on file change and on SIGHUP under a live wss call; a broken pair is refused and the old one kept', async () => {
  const first = await makePair();
  writeFileSync(keyFile, first.key, { mode: 0o600 });
  writeFileSync(certFile, first.cert);
  const server = await spawnServer({ '--tls-cert': certFile, '--tls-key': keyFile }, { readyTimeoutMs: 90_000 });
  const logged = (text: string) =>
    server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => String(e.msg).includes(text));
  assert.equal(await servedSerial(server.port), first.serial);
  const call = await joinPair(server.wsUrl);

  // 1. A renewal tool replaces both files: picked up by the watcher, no signal needed.
  const second = await makePair();
  writeFileSync(keyFile, second.key, { mode: 0o600 });
  writeFileSync(certFile, second.cert);
  await waitFor('the new serial after a file change', async () => (await servedSerial(server.port)) === second.serial);
  assert.ok(logged('certificate reloaded').some((e) => e.reason === 'file change' && e.serial === second.serial));

  // 2. A broken pair (a certificate with someone else's key), then SIGHUP: refused, old one kept.
  const stray = await makePair();
  writeFileSync(certFile, stray.cert);
  server.kill('SIGHUP');
  await waitFor('the refusal after SIGHUP', () =>
    logged('refused the new certificate files').some((e) => e.reason === 'SIGHUP'),
  );
  const refusal = logged('refused the new certificate files').find((e) => e.reason === 'SIGHUP') ?? {};
  assert.match(String(refusal.msg), /the private key does not belong to the certificate/);
  assert.match(String(refusal.msg), /still serving the previous certificate/);
  assert.equal(refusal.level, 'error');
  assert.equal(await servedSerial(server.port), second.serial, 'the previous certificate is still served');

  // 3. The matching key arrives, then SIGHUP: the third certificate is served.
  writeFileSync(keyFile, stray.key, { mode: 0o600 });
  server.kill('SIGHUP');
  await waitFor('the third serial', async () => (await servedSerial(server.port)) === stray.serial);

  // The call opened under the first certificate never noticed.
  assert.equal(call.a.closeInfo, null);
  assert.equal(call.b.closeInfo, null);
  call.a.send(offer(call.id, 'after-reloads'));
  assert.deepEqual(await call.b.next('offer'), offer(call.id, 'after-reloads'));
  assert.equal(server.proc.exitCode, null, 'still the same process');
});
