import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { ConfigError } from '../config/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { loadTlsMaterial } from '../tls.js';
import { AcmeCertificates } from './acme/acme-certificates.js';
import type { AlpnChallengeSource } from './alpn-challenge-server.js';
import type { CertificatePair } from './certificate-pair.js';
import { FileCertificates } from './file-certificates.js';

/** What /healthz and the pages say about the certificate. */
export type CertificateStatus = { ready: true } | { ready: false; tls: 'obtaining certificate' };

/** Where the served certificate comes from, and how it changes while the server runs. */
export interface CertificateService {
  /** The pair to start serving with (for ACME, a temporary self-signed one until the first arrives). */
  readonly initial: CertificatePair;
  /** TLS-ALPN-01 answers, when ACME is on. */
  readonly alpnChallenges: AlpnChallengeSource | undefined;
  /** HTTP-01 answers (key authorization by token), when ACME is on. */
  http01Answer(token: string): string | undefined;
  status(): CertificateStatus;
  /** Starts renewals or file watching; every new pair goes to `setCertificate`. */
  start(setCertificate: (pair: CertificatePair) => void): void;
  /** SIGHUP: read the certificate files again. */
  reload(): void;
  close(): void;
}

export interface CertificateServiceOptions {
  clock: Clock;
  logger: Logger;
}

/** Picks the source from the config: ACME for --domain, the files of --tls-cert, or the development certificate. */
export async function createCertificateService(
  config: Pick<Config, 'tls' | 'stateDir' | 'domains' | 'acmeDirectory' | 'acmeCaFile' | 'acmeEmail' | 'httpPort'>,
  { clock, logger }: CertificateServiceOptions,
): Promise<CertificateService> {
  if (config.domains.length > 0) {
    let setCertificate: (pair: CertificatePair) => void = () => {};
    const acme = new AcmeCertificates({
      domains: config.domains,
      directoryUrl: config.acmeDirectory,
      ...(config.acmeCaFile === undefined ? {} : { caPem: readFileSync(config.acmeCaFile, 'utf8') }),
      ...(config.acmeEmail === undefined ? {} : { email: config.acmeEmail }),
      http01: config.httpPort !== undefined,
      stateDir: config.stateDir,
      clock,
      logger,
      onChange: (checked) => setCertificate(checked.pair),
    });
    const temporary = await loadTlsMaterial({ tls: undefined, stateDir: config.stateDir }, { logger, clock });
    return {
      initial: temporary,
      alpnChallenges: acme,
      http01Answer: (token) => acme.http01Answer(token),
      status: () => (acme.state === 'ready' ? { ready: true } : { ready: false, tls: 'obtaining certificate' }),
      start: (set) => {
        setCertificate = set;
        acme.start();
      },
      reload: () => logger.info('SIGHUP: the ACME certificate renews itself; nothing to reload'),
      close: () => acme.close(),
    };
  }
  if (config.tls) {
    let setCertificate: (pair: CertificatePair) => void = () => {};
    const files = new FileCertificates({
      ...config.tls,
      clock,
      logger,
      onChange: (checked) => setCertificate(checked.pair),
    });
    const loaded = files.load();
    if (!loaded.ok) throw new ConfigError([`--tls-cert/--tls-key: ${loaded.error}`]);
    return {
      initial: loaded.value.pair,
      alpnChallenges: undefined,
      http01Answer: () => undefined,
      status: () => ({ ready: true }),
      start: (set) => {
        setCertificate = set;
        files.watch();
      },
      reload: () => files.reload('SIGHUP'),
      close: () => files.close(),
    };
  }
  const dev = await loadTlsMaterial(config, { logger, clock });
  return {
    initial: dev,
    alpnChallenges: undefined,
    http01Answer: () => undefined,
    status: () => ({ ready: true }),
    start: () => {},
    reload: () => logger.info('SIGHUP: the development certificate is not reloaded'),
    close: () => {},
  };
}
