// A first issuance the CA cannot validate (issue 10: "clear log lines for every failure"):
// pebble validates TLS-ALPN-01 on a port where nothing listens, as when a firewall or a missing
// port forward keeps the CA out. The server says so in plain words, keeps serving its temporary
// certificate with /healthz at 503 starting, and schedules a retry.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { FakeClock } from '../../src/shared/testing/fake-clock.js';
import { freePort } from '../helpers/free-port.js';
import { type Pebble, startPebble, TEST_DOMAIN } from '../helpers/pebble.js';
import { type AcmeApp, getInsecure, startAcmeApp, tempStateDir, waitFor } from './helpers.js';

let pebble: Pebble;
let server: AcmeApp | undefined;
const stateDir = tempStateDir();

before(async () => {
  // Pebble checks these ports; the server listens elsewhere, so the CA's connection is refused.
  pebble = await startPebble({ tlsPort: await freePort(), httpPort: await freePort() });
});

after(async () => {
  await server?.app.close();
  await pebble?.dispose();
  rmSync(stateDir, { recursive: true, force: true });
});

test('the CA cannot reach the port: the log says so, the temporary certificate stays, a retry is set', async () => {
  const clock = new FakeClock(Date.now());
  server = await startAcmeApp(
    [
      '--port',
      '0',
      '--domain',
      TEST_DOMAIN,
      '--state-dir',
      stateDir,
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-ca',
      pebble.caFile,
    ],
    clock,
  );
  clock.advance(0);
  const app = server;
  await waitFor('the failure line', () => app.logged('getting a certificate failed').length === 1).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}\nserver: ${app.logs.slice(-10).join('\n')}\npebble: ${pebble.output().slice(-1500)}`,
      );
    },
  );
  const failure = app.logged('getting a certificate failed')[0] ?? {};
  assert.equal(failure.level, 'error');
  assert.match(String(failure.msg), /the port is not reachable from the internet/, String(failure.caSays));
  assert.match(String(failure.msg), /still serving the temporary self-signed certificate/);
  assert.ok(Number(failure.retryInS) > 0, 'a retry is scheduled');
  // The CA's own words are kept, without the address it names (no log line carries an IP).
  assert.doesNotMatch(JSON.stringify(failure), /\b127\.0\.0\.1\b/);
  assert.equal(app.logged('certificate obtained').length, 0);
  const health = await getInsecure(app.app.port, '/healthz');
  assert.equal(health.status, 503);
  assert.deepEqual(JSON.parse(health.body), { status: 'starting', tls: 'obtaining certificate' });
});
