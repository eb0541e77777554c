import type { Clock } from '../../shared/clock.js';

/** A certificate close to expiry is not handed out: the call could outlast it. */
const MIN_VALIDITY_MS = 86_400_000;

export interface CertificatePoolOptions {
  /** `RTCPeerConnection.generateCertificate`, or undefined where the browser lacks it. */
  generate: ((keygen: EcKeyGenParams) => Promise<RTCCertificate>) | undefined;
  clock: Clock;
}

/**
 * A DTLS certificate, generated in the background while the page loads and joins: otherwise a
 * new RTCPeerConnection makes one and its first offer or answer waits for it. Each is used by
 * one connection only (its fingerprint is how the other side tells connections apart), and the
 * next is prepared at once.
 */
export class CertificatePool {
  readonly #o: CertificatePoolOptions;
  #ready: RTCCertificate | null = null;

  constructor(options: CertificatePoolOptions) {
    this.#o = options;
  }

  /** Starts generating the next certificate; failures only mean the connection makes its own. */
  prepare(): void {
    this.#o.generate?.({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams).then(
      (c) => {
        this.#ready = c;
      },
      () => {},
    );
  }

  /** The prepared certificate (and prepares the next), or undefined if none is ready and valid. */
  take(): RTCCertificate[] | undefined {
    const c = this.#ready;
    if (!c) return undefined;
    this.#ready = null;
    this.prepare();
    return c.expires > this.#o.clock.wallNow() + MIN_VALIDITY_MS ? [c] : undefined;
  }
}
