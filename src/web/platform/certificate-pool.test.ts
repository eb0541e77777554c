import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../shared/testing/fake-clock.js';
import { CertificatePool } from './certificate-pool.js';

const DAY = 86_400_000;
const settle = () => new Promise((r) => setImmediate(r));

function pool(expiresIn: number) {
  const clock = new FakeClock();
  let made = 0;
  const p = new CertificatePool({
    clock,
    generate: async () => {
      made++;
      return { expires: clock.wallNow() + expiresIn } as RTCCertificate;
    },
  });
  return { p, made: () => made };
}

test('a prepared certificate is handed out once, and the next one is prepared at once', async () => {
  const { p, made } = pool(30 * DAY);
  assert.equal(p.take(), undefined, 'none ready yet: the connection makes its own');
  p.prepare();
  await settle();
  assert.equal(p.take()?.length, 1);
  assert.equal(made(), 2, 'taking one starts the next');
  assert.equal(p.take(), undefined, 'never the same certificate twice');
  await settle();
  assert.equal(p.take()?.length, 1);
});

test('a certificate that expires within a day is not used', async () => {
  const { p } = pool(DAY / 2);
  p.prepare();
  await settle();
  assert.equal(p.take(), undefined);
});

test('without generateCertificate nothing is prepared and nothing breaks', () => {
  const p = new CertificatePool({ clock: new FakeClock(), generate: undefined });
  p.prepare();
  assert.equal(p.take(), undefined);
});
