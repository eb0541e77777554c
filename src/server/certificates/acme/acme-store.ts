import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeStateFile } from '../../config/index.js';
import type { CertificatePair } from '../certificate-pair.js';

const ACCOUNT_KEY_FILE = 'account-key.pem';
const ACCOUNT_URL_FILE = 'account-url';
const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';

/**
 * The ACME account and the last certificate, kept in `<state-dir>/acme/<ca>/` (server state,
 * not session data): one folder per directory URL, so a staging account or certificate is
 * never used against production. Files are 0600 and written atomically (writeStateFile).
 */
export class AcmeStore {
  readonly #dir: string;

  constructor(options: { stateDir: string; directoryUrl: string }) {
    const url = new URL(options.directoryUrl);
    const tag = createHash('sha256').update(options.directoryUrl).digest('hex').slice(0, 8);
    this.#dir = join(options.stateDir, 'acme', `${url.hostname}-${tag}`);
  }

  readAccount(): { key: string; url: string | undefined } | undefined {
    const key = this.#read(ACCOUNT_KEY_FILE);
    if (key === undefined) return undefined;
    return { key, url: this.#read(ACCOUNT_URL_FILE)?.trim() || undefined };
  }

  writeAccountKey(key: string): void {
    this.#write(ACCOUNT_KEY_FILE, key);
  }

  writeAccountUrl(url: string): void {
    this.#write(ACCOUNT_URL_FILE, `${url}\n`);
  }

  readCertificate(): CertificatePair | undefined {
    const cert = this.#read(CERT_FILE);
    const key = this.#read(KEY_FILE);
    return cert !== undefined && key !== undefined ? { cert, key } : undefined;
  }

  /** The key first: a reader that finds the new certificate always finds its key. */
  writeCertificate(pair: CertificatePair): void {
    this.#write(KEY_FILE, pair.key);
    this.#write(CERT_FILE, pair.cert);
  }

  #read(name: string): string | undefined {
    try {
      return readFileSync(join(this.#dir, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  #write(name: string, content: string): void {
    writeStateFile({ dir: this.#dir, name, content, mode: 'replace' });
  }
}
