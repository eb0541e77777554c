import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsFiles {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

let cached: Promise<TlsFiles> | undefined;

/**
 * A self-signed certificate for 127.0.0.1/localhost written to a temp dir, made once per test
 * process, so a restarted server can be given the very same `--tls-cert`/`--tls-key` files.
 */
export function tlsFiles(): Promise<TlsFiles> {
  cached ??= (async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 2 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'homecall-tls-'));
    const certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    writeFileSync(certPath, pems.cert);
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    return { certPath, keyPath, cert: pems.cert, key: pems.private };
  })();
  return cached;
}
