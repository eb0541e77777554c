import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { type Config, writeStateFile } from './config/index.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

/** PEM key and certificate chain for the HTTPS server. */
export interface TlsMaterial {
  key: string;
  cert: string;
  /** True when this is the generated development certificate (browsers will warn). */
  selfSigned: boolean;
}

/** Key and certificate in one file, so a reader never pairs one run's key with another's cert. */
const DEV_CERT_FILE = 'dev-cert.pem';
const DEV_CERT_DAYS = 365;
/** Renew a little before expiry so a long-running server does not cross it. */
const RENEW_BEFORE_MS = 7 * 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export interface TlsOptions {
  logger: Logger;
  /** Addresses the development certificate must cover; default: every local interface address. */
  addresses?: readonly string[];
  /** Certificate validity is judged and dated by its wall clock. */
  clock: Pick<Clock, 'wallNow'>;
}

/**
 * Loads the configured certificate files, or the development certificate kept in the state
 * directory: self-signed for localhost, 127.0.0.1, ::1 and this machine's addresses, made
 * only when it is missing, about to expire, or no longer covers an address.
 */
export async function loadTlsMaterial(
  config: Pick<Config, 'tls' | 'stateDir'>,
  options: TlsOptions,
): Promise<TlsMaterial> {
  if (config.tls) {
    return {
      key: readFileSync(config.tls.keyFile, 'utf8'),
      cert: readFileSync(config.tls.certFile, 'utf8'),
      selfSigned: false,
    };
  }
  const wallNow = () => options.clock.wallNow();
  const addresses = [...new Set(['127.0.0.1', '::1', ...(options.addresses ?? localAddresses())])];
  const file = join(config.stateDir, DEV_CERT_FILE);
  const existing = readDevCert(file);
  if (existing && isUsable(existing.cert, addresses, wallNow())) {
    options.logger.info(
      { certFile: file },
      'using the self-signed development certificate; browsers will warn until it is accepted (use --tls-cert/--tls-key for real ones)',
    );
    return { ...existing, selfSigned: true };
  }
  const made = await makeDevCert(addresses, wallNow());
  // Atomic (rename), so servers starting together never read half a file.
  writeStateFile({ dir: config.stateDir, name: DEV_CERT_FILE, content: `${made.key}${made.cert}`, mode: 'replace' });
  options.logger.warn(
    { certFile: file, names: addresses.length + 1 },
    'created a self-signed development certificate for localhost and this machine; browsers will warn until it is accepted (use --tls-cert/--tls-key for real ones)',
  );
  return { ...made, selfSigned: true };
}

/** Non-internal and loopback addresses of this machine (IPv6 link-local ones cannot go in a URL plainly). */
function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((info) => (info && !(info.family === 'IPv6' && info.address.startsWith('fe80')) ? [info.address] : []));
}

function readDevCert(file: string): { key: string; cert: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\r?\n?/.exec(text)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/.exec(text)?.[0];
  return key && cert ? { key, cert } : undefined;
}

function isUsable(certPem: string, addresses: readonly string[], now: number): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (Date.parse(cert.validTo) - RENEW_BEFORE_MS < now || Date.parse(cert.validFrom) > now) return false;
    return cert.checkHost('localhost') !== undefined && addresses.every((ip) => cert.checkIP(ip) !== undefined);
  } catch {
    return false;
  }
}

async function makeDevCert(addresses: readonly string[], now: number): Promise<{ key: string; cert: string }> {
  // ECDSA P-256: quick to make and cheap per handshake. Back-dated a day against clock skew.
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + DEV_CERT_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [{ type: 2, value: 'localhost' }, ...addresses.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
