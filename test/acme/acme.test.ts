// ACME against Debian's pebble on loopback (issue 10): first issuance by TLS-ALPN-01 and by
// HTTP-01, the served chain ends at pebble's root, renewal of a one-hour certificate swaps it under an open
// wss call, a failing renewal keeps the old certificate and says why, and a restart serves the
// stored certificate without asking the CA.
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/shared/testing/fake-clock.js';
import { closeAllClients } from '../helpers/client.js';
import { countFaults } from '../helpers/faults.js';
import { joinPair, offer } from '../helpers/protocol.js';
import { freePort } from '../helpers/free-port.js';
import { CERTIFICATE_LIFETIME_S, type Pebble, startPebble, TEST_DOMAIN } from '../helpers/pebble.js';
import { type AcmeApp, getInsecure, servedCertificate, startAcmeApp, tempStateDir, waitFor } from './helpers.js';

const HTTP_DOMAIN = 'http01.homecall.test';
const faults = countFaults();
let pebble: Pebble;
let port: number;
let httpPort: number;
const running = new Set<AcmeApp>();
const stateDirs: string[] = [];

before(async () => {
  port = await freePort();
  httpPort = await freePort();
  pebble = await startPebble({ tlsPort: port, httpPort });
});

after(async () => {
  await closeAllClients();
  for (const a of running) await a.app.close();
  await pebble?.dispose();
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  faults.dispose();
});

async function start(flags: string[], clock: FakeClock): Promise<AcmeApp> {
  const started = await startAcmeApp(
    ['--port', String(port), '--acme-directory', pebble.directoryUrl, '--acme-ca', pebble.caFile, ...flags],
    clock,
  );
  running.add(started);
  return started;
}

async function stop(a: AcmeApp): Promise<void> {
  running.delete(a);
  await a.app.close();
}

const healthOk = async () => (await getInsecure(port, '/healthz')).status === 200;

describe('ACME with pebble', () => {
  const stateDir = tempStateDir();
  stateDirs.push(stateDir);
  // The certificate timers run on this clock; the wall clock starts at the real time so the
  // certificates pebble issues are valid "now".
  const clock = new FakeClock(Date.now());
  let server: AcmeApp;
  /**
   * How far to move the certificate clock to a minute past the renewal point of a certificate
   * valid until `notAfter` (two thirds of its lifetime). Measured on that clock, which stands
   * still while the real time of the earlier steps passes.
   */
  const pastRenewalPoint = (notAfter: number) =>
    notAfter - (CERTIFICATE_LIFETIME_S * 1000) / 3 + 60_000 - clock.wallNow();
  let firstSerial: string;
  let renewedSerial: string;

  test('before the first certificate: /healthz says 503 starting, pages say so, a temporary self-signed certificate is served', async () => {
    server = await start(['--domain', TEST_DOMAIN, '--state-dir', stateDir], clock);
    const health = await getInsecure(port, '/healthz');
    assert.equal(health.status, 503);
    assert.deepEqual(JSON.parse(health.body), { status: 'starting', tls: 'obtaining certificate' });
    const page = await getInsecure(port, '/');
    assert.equal(page.status, 503);
    assert.match(page.body, /getting its certificate/);
    assert.match(page.body, /получает сертификат/);
    const served = await servedCertificate(port, TEST_DOMAIN, await pebble.issuingRoot());
    assert.equal(served.authorized, false, 'not yet a certificate of the CA');
  });

  test("first issuance by TLS-ALPN-01 on the HTTPS port; the served chain verifies against pebble's root", async () => {
    clock.advance(0);
    await waitFor('a certificate', healthOk).catch((error: Error) => {
      throw new Error(
        `${error.message}\nserver: ${server.logs.slice(-15).join('\n')}\npebble: ${pebble.output().slice(-1500)}`,
      );
    });
    const served = await servedCertificate(port, TEST_DOMAIN, await pebble.issuingRoot());
    assert.equal(served.authorized, true, `chain verifies: ${served.authorizationError}`);
    assert.ok(server.logged('answering the CA challenge').some((e) => e.challenge === 'tls-alpn-01'));
    assert.ok(server.logged('answering a TLS-ALPN-01 validation').length > 0, 'pebble really validated on our port');
    assert.equal(server.logged('certificate obtained').length, 1);
    assert.equal((await getInsecure(port, '/')).status, 200, 'the app is served once the certificate is in');
    firstSerial = served.serial;
  });

  test('renewal at two thirds of the lifetime replaces the served certificate while a wss call stays open and relays', async () => {
    const pair = await joinPair(`wss://127.0.0.1:${port}/signal`);
    const obtained = server.logged('certificate obtained')[0];
    const notAfter = Date.parse(String(obtained?.notAfter));
    // A short-lived certificate (pebble's lifetime for the tests), not one renewed only in theory.
    assert.ok(notAfter - Date.now() <= CERTIFICATE_LIFETIME_S * 1000, String(obtained?.notAfter));
    clock.advance(pastRenewalPoint(notAfter));
    await waitFor('the renewal', () => server.logged('certificate renewed').length === 1).catch((error: Error) => {
      throw new Error(
        `${error.message}\nserver: ${server.logs.slice(-15).join('\n')}\npebble: ${pebble.output().slice(-1500)}`,
      );
    });
    const served = await servedCertificate(port, TEST_DOMAIN, await pebble.issuingRoot());
    assert.equal(served.authorized, true);
    assert.notEqual(served.serial, firstSerial, 'a TLS client sees the new serial');
    assert.equal(served.serial, server.logged('certificate renewed')[0]?.serial);
    assert.equal(pair.a.closeInfo, null, 'the open socket stayed open');
    pair.a.send(offer(pair.id, 'after-renewal'));
    assert.deepEqual(await pair.b.next('offer'), offer(pair.id, 'after-renewal'), 'and keeps relaying');
    renewedSerial = served.serial;
  });

  test('first issuance by HTTP-01 when --http-port is served', async () => {
    const dir = tempStateDir();
    stateDirs.push(dir);
    const httpClock = new FakeClock(Date.now());
    const other = await startAcmeApp(
      [
        '--port',
        '0',
        '--http-port',
        String(httpPort),
        '--domain',
        HTTP_DOMAIN,
        '--state-dir',
        dir,
        '--acme-directory',
        pebble.directoryUrl,
        '--acme-ca',
        pebble.caFile,
      ],
      httpClock,
    );
    running.add(other);
    httpClock.advance(0);
    await waitFor('the HTTP-01 certificate', () => other.logged('certificate obtained').length === 1);
    assert.ok(other.logged('answering the CA challenge').some((e) => e.challenge === 'http-01'));
    const served = await servedCertificate(other.app.port, HTTP_DOMAIN, await pebble.issuingRoot());
    assert.equal(served.authorized, true, `chain verifies: ${served.authorizationError}`);
    await stop(other);
  });

  test('a failing renewal (CA gone) keeps the current certificate and logs why, then retries', async () => {
    await pebble.stop();
    const renewed = server.logged('certificate renewed')[0];
    const notAfter = Date.parse(String(renewed?.notAfter));
    clock.advance(pastRenewalPoint(notAfter));
    await waitFor('the failure line', () => server.logged('renewal failed').length === 1).catch((error: Error) => {
      throw new Error(`${error.message}\nserver: ${server.logs.slice(-8).join('\n')}`);
    });
    const failure = server.logged('renewal failed')[0] ?? {};
    assert.match(String(failure.msg), /cannot reach the CA/, String(failure.caSays));
    assert.match(String(failure.msg), /still serving the current certificate/);
    assert.equal(failure.level, 'error');
    assert.ok(Number(failure.retryInS) > 0, 'a retry is scheduled');
    const served = await servedCertificate(port, TEST_DOMAIN);
    assert.equal(served.serial, renewedSerial, 'still the last good certificate');
    assert.equal((await getInsecure(port, '/healthz')).status, 200);
    await stop(server);
  });

  test('a restart serves the stored certificate at once, without asking the CA (which is down)', async () => {
    for (const a of running) await stop(a);
    const again = await start(['--domain', TEST_DOMAIN, '--state-dir', stateDir], new FakeClock(Date.now()));
    assert.equal((await getInsecure(port, '/healthz')).status, 200, 'ready before any timer ran');
    assert.equal((await servedCertificate(port, TEST_DOMAIN)).serial, renewedSerial);
    assert.equal(again.logged('using the stored certificate').length, 1);
    assert.equal(again.logged('ordering a certificate').length, 0);
    assert.equal(again.logged('renewing the certificate').length, 0);
    // Account key and certificate are server state, readable by the server's user only.
    const [caDir] = readdirSync(join(stateDir, 'acme'));
    const files = readdirSync(join(stateDir, 'acme', String(caDir)));
    assert.deepEqual(files.sort(), ['account-key.pem', 'account-url', 'cert.pem', 'key.pem']);
    for (const f of files) assert.equal(statSync(join(stateDir, 'acme', String(caDir), f)).mode & 0o777, 0o600, f);
    await stop(again);
  });

  test('no uncaught exception or unhandled rejection', () => {
    assert.equal(faults.count, 0);
  });
});
