import { Agent } from 'node:https';
import * as acme from 'acme-client';
import type { Clock, TimerHandle } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { AlpnChallengeSource } from '../alpn-challenge-server.js';
import { type CertificatePair, type CheckedPair, checkCertificatePair } from '../certificate-pair.js';
import { AcmeFailure, explainAcmeError, redactCaMessage } from './acme-errors.js';
import { AcmeStore } from './acme-store.js';

/** Renew once two thirds of the lifetime have passed (Let's Encrypt: day 60 of 90). */
export const RENEW_AT_FRACTION = 2 / 3;
/** First retry after a failure, doubled each time up to RETRY_MAX_MS, each with ±50 % jitter. */
export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_MS = 6 * 3_600_000;
/** One request to the CA. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Node timers cannot wait longer than 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the server's health check and pages show. */
export type AcmeState = 'obtaining' | 'ready';

export interface AcmeCertificatesOptions {
  domains: readonly string[];
  directoryUrl: string;
  /** PEM root(s) to trust for the CA's own HTTPS (a test CA such as pebble). */
  caPem?: string;
  email?: string;
  /** HTTP-01 is tried first when port 80 is served; TLS-ALPN-01 otherwise. */
  http01: boolean;
  stateDir: string;
  clock: Clock;
  logger: Logger;
  /** Every new certificate, checked; the server swaps it in. */
  onChange: (pair: CheckedPair) => void;
  /** [0, 1); jitters retries. */
  random?: () => number;
}

/**
 * Obtains and renews the certificate for --domain from an ACME CA (Let's Encrypt by default)
 * with acme-client, answering TLS-ALPN-01 on the HTTPS port or HTTP-01 on port 80. The last
 * certificate and the account are kept in the state directory, so a restart serves at once
 * without asking the CA. A failed renewal is retried with jittered backoff while the old
 * certificate keeps being served.
 */
export class AcmeCertificates implements AlpnChallengeSource {
  readonly #options: AcmeCertificatesOptions;
  readonly #store: AcmeStore;
  readonly #alpn = new Map<string, CertificatePair>();
  readonly #http = new Map<string, string>();
  #current: CheckedPair | undefined;
  #timer: TimerHandle | undefined;
  #failures = 0;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: AcmeCertificatesOptions) {
    this.#options = options;
    this.#store = new AcmeStore({ stateDir: options.stateDir, directoryUrl: options.directoryUrl });
  }

  get state(): AcmeState {
    return this.#current ? 'ready' : 'obtaining';
  }

  /** Serves the stored certificate if it still covers the domains, then schedules the next order. */
  start(): void {
    const { logger, domains, clock } = this.#options;
    const stored = this.#store.readCertificate();
    if (stored) {
      const checked = checkCertificatePair(stored, clock.wallNow());
      if (checked.ok && domains.every((d) => checked.value.info.names.includes(d))) {
        this.#current = checked.value;
        this.#options.onChange(checked.value);
        logger.info(
          { domains, serial: checked.value.info.serial, notAfter: iso(checked.value.info.notAfter) },
          'using the stored certificate',
        );
      } else {
        logger.info({ domains }, `not using the stored certificate (${checked.ok ? 'other names' : checked.error})`);
      }
    }
    if (!this.#current)
      logger.info({ domains }, 'getting a certificate; serving a temporary self-signed one meanwhile');
    this.#schedule(this.#current ? this.#renewAt(this.#current) - clock.wallNow() : 0);
  }

  /** The TLS-ALPN-01 answer for a name being validated right now. */
  challengeFor(servername: string): CertificatePair | undefined {
    return this.#alpn.get(servername);
  }

  /** The HTTP-01 answer (key authorization) for a token being validated right now. */
  http01Answer(token: string): string | undefined {
    return this.#http.get(token);
  }

  /** Stops the timers; an order in flight finishes but changes nothing. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Runs an order now (tests, and the timer). Never rejects: failures are logged and retried. */
  renewNow(): Promise<void> {
    this.#running ??= this.#order().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #renewAt(pair: CheckedPair): number {
    const { notBefore, notAfter } = pair.info;
    return notBefore + (notAfter - notBefore) * RENEW_AT_FRACTION;
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    const { clock } = this.#options;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    const wait = Math.max(0, delayMs);
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined;
        if (wait > MAX_TIMER_MS) this.#schedule(wait - MAX_TIMER_MS);
        else void this.renewNow();
      },
      Math.min(wait, MAX_TIMER_MS),
    );
  }

  async #order(): Promise<void> {
    const { logger, domains, clock } = this.#options;
    const renewing = this.#current !== undefined;
    logger.info(
      { domains, directory: this.#options.directoryUrl },
      renewing ? 'renewing the certificate' : 'ordering a certificate',
    );
    try {
      const cert = await this.#issue();
      if (this.#closed) return;
      this.#store.writeCertificate(cert);
      const checked = checkCertificatePair(cert, clock.wallNow());
      if (!checked.ok) throw new AcmeFailure(`the CA sent an unusable certificate: ${checked.error}`);
      this.#current = checked.value;
      this.#failures = 0;
      this.#options.onChange(checked.value);
      logger.info(
        { domains, serial: checked.value.info.serial, notAfter: iso(checked.value.info.notAfter) },
        renewing ? 'certificate renewed; open calls carry on' : 'certificate obtained; serving it',
      );
      this.#schedule(this.#renewAt(checked.value) - clock.wallNow());
    } catch (error) {
      if (this.#closed) return;
      this.#failures++;
      const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (this.#failures - 1));
      const delay = Math.round(base * (0.5 + (this.#options.random ?? Math.random)()));
      const caSays = redactCaMessage(error instanceof Error ? error.message : String(error));
      const keeping = this.#current
        ? `still serving the current certificate (valid until ${iso(this.#current.info.notAfter)})`
        : 'still serving the temporary self-signed certificate';
      logger.error(
        { domains, attempt: this.#failures, retryInS: Math.round(delay / 1000), caSays },
        `${renewing ? 'renewal' : 'getting a certificate'} failed: ${explainAcmeError(error, domains)}; ${keeping}`,
      );
      this.#schedule(delay);
    }
  }

  async #issue(): Promise<CertificatePair> {
    const { domains, email, http01, caPem, logger } = this.#options;
    // acme-client makes its requests through one axios instance; the only way to trust a
    // test CA is its agent. One ACME client per process, so this is not shared state in fact.
    acme.axios.defaults.httpsAgent = caPem === undefined ? undefined : new Agent({ ca: caPem });
    // Our own retries (jittered, minutes apart) replace acme-client's quick ones, and no
    // request may hang an order forever.
    acme.axios.defaults.timeout = REQUEST_TIMEOUT_MS;
    (acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings = {
      ...(acme.axios.defaults as { acmeSettings?: object }).acmeSettings,
      retryMaxAttempts: 0,
    } as { retryMaxAttempts: number };
    const client = await this.#client();
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: domains[0], altNames: [...domains] },
      await acme.crypto.createPrivateEcdsaKey('P-256'),
    );
    const cert = await client.auto({
      csr,
      ...(email === undefined ? {} : { email }),
      termsOfServiceAgreed: true,
      // The CA's own validation is the test that counts; checking from here cannot see what it sees.
      skipChallengeVerification: true,
      challengePriority: http01 ? ['http-01', 'tls-alpn-01'] : ['tls-alpn-01'],
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        const domain = authz.identifier.value.toLowerCase();
        // acme-client's types predate TLS-ALPN-01 (RFC 8737), which it does support.
        const type: string = challenge.type;
        logger.info({ domain, challenge: type }, 'answering the CA challenge');
        if (type === 'http-01') this.#http.set(challenge.token, keyAuthorization);
        else if (type === 'tls-alpn-01') {
          const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization);
          this.#alpn.set(domain, { key: alpnKey.toString(), cert: alpnCert.toString() });
        } else throw new Error(`unsupported challenge ${type}`);
      },
      challengeRemoveFn: async (authz, challenge) => {
        if (challenge.type === 'http-01') this.#http.delete(challenge.token);
        else this.#alpn.delete(authz.identifier.value.toLowerCase());
      },
    });
    this.#store.writeAccountUrl(client.getAccountUrl());
    return { key: key.toString(), cert };
  }

  async #client(): Promise<acme.Client> {
    const stored = this.#store.readAccount();
    let accountKey = stored?.key;
    if (accountKey === undefined) {
      accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
      this.#store.writeAccountKey(accountKey);
      this.#options.logger.info('created an ACME account key in the state directory');
    }
    return new acme.Client({
      directoryUrl: this.#options.directoryUrl,
      accountKey,
      ...(stored?.url === undefined ? {} : { accountUrl: stored.url }),
      // Polling of pending challenges and orders: quick at first, a few seconds at most.
      backoffAttempts: 10,
      backoffMin: 250,
      backoffMax: 5000,
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
