/** One certificate for every server in a run, so TLS costs the same on both sides of a ratio. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface CertFiles {
  certFile: string;
  keyFile: string;
  cert: string;
}

/**
 * ECDSA P-256, like a Let's Encrypt certificate a self-hoster would get by default
 * (an RSA-2048 key would make every handshake cost about a millisecond of server CPU more).
 */
export async function makeCert(dir: string): Promise<CertFiles> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const certFile = join(dir, 'bench-cert.pem');
  const keyFile = join(dir, 'bench-key.pem');
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  return { certFile, keyFile, cert: pems.cert };
}
