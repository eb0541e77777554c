import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Result } from '../../shared/protocol/result.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { type CheckedPair, checkCertificatePair } from './certificate-pair.js';

/** Renewal tools write key and certificate one after the other: wait for both to land. */
export const RELOAD_DEBOUNCE_MS = 500;

export interface FileCertificatesOptions {
  certFile: string;
  keyFile: string;
  clock: Clock;
  logger: Logger;
  /** Called with every new pair that passed the checks; the server swaps it in. */
  onChange: (pair: CheckedPair) => void;
  debounceMs?: number;
}

/**
 * The certificate from --tls-cert/--tls-key, reloaded on SIGHUP and when either file (or
 * the symlink certbot swaps in its live/ folder) changes. A new pair that does not check
 * out is refused with one log line saying why, and the old one keeps being served.
 */
export class FileCertificates {
  readonly #options: FileCertificatesOptions;
  readonly #watchers: FSWatcher[] = [];
  #current: CheckedPair | undefined;
  #timer: TimerHandle | undefined;

  constructor(options: FileCertificatesOptions) {
    this.#options = options;
  }

  /** Reads the pair at start; a failure here stops the start (there is nothing old to keep). */
  load(): Result<CheckedPair, string> {
    const read = this.#read();
    if (read.ok) this.#current = read.value;
    return read;
  }

  /** Watches both files' folders until close(). */
  watch(): void {
    const { certFile, keyFile } = this.#options;
    const names = new Set([basename(certFile), basename(keyFile)]);
    for (const dir of new Set([dirname(certFile), dirname(keyFile)])) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.#schedule();
        });
        watcher.on('error', (error) => {
          this.#options.logger.warn(
            { err: error, dir },
            'stopped watching the certificate folder; SIGHUP still reloads',
          );
        });
        this.#watchers.push(watcher);
      } catch (error) {
        this.#options.logger.warn({ err: error, dir }, 'cannot watch the certificate folder; reload with SIGHUP');
      }
    }
  }

  /** Reads the files again now (SIGHUP); a no-op when they did not change. */
  reload(reason: string): void {
    const { logger, onChange } = this.#options;
    const read = this.#read();
    if (!read.ok) {
      logger.error(
        { reason, serial: this.#current?.info.serial },
        `refused the new certificate files: ${read.error}; still serving the previous certificate`,
      );
      return;
    }
    const next = read.value;
    if (this.#current && next.pair.cert === this.#current.pair.cert && next.pair.key === this.#current.pair.key) {
      logger.debug({ reason }, 'certificate files unchanged');
      return;
    }
    this.#current = next;
    onChange(next);
    logger.info(
      { reason, serial: next.info.serial, notAfter: new Date(next.info.notAfter).toISOString() },
      'certificate reloaded; new connections get the new one, open ones carry on',
    );
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers.length = 0;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const { clock } = this.#options;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.reload('file change');
    }, this.#options.debounceMs ?? RELOAD_DEBOUNCE_MS);
  }

  #read(): Result<CheckedPair, string> {
    const { certFile, keyFile, clock } = this.#options;
    let cert: string;
    let key: string;
    try {
      cert = readFileSync(certFile, 'utf8');
      key = readFileSync(keyFile, 'utf8');
    } catch (error) {
      return { ok: false, error: `cannot read the files (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    return checkCertificatePair({ key, cert }, clock.wallNow());
  }
}
