import { createSecureContext, createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../logger.js';
import type { CertificatePair } from './certificate-pair.js';
import { TLS_POLICY } from './tls-policy.js';

/** The ALPN protocol of the TLS-ALPN-01 challenge (RFC 8737). */
export const ACME_TLS_ALPN = 'acme-tls/1';

/** The challenge certificates being offered right now, by domain. */
export interface AlpnChallengeSource {
  /** The self-signed challenge pair for this domain, or undefined when none is pending. */
  challengeFor(servername: string): CertificatePair | undefined;
}

/**
 * A TLS server that never listens: the single-port server hands it the connections whose
 * ClientHello offers only `acme-tls/1`. It answers with the challenge certificate of the
 * requested name, negotiates `acme-tls/1`, and closes once the handshake is done: no
 * application data is ever exchanged on such a connection.
 */
export function createAlpnChallengeServer(source: AlpnChallengeSource, logger: Logger): Server {
  const server = createServer({
    ...TLS_POLICY,
    ALPNProtocols: [ACME_TLS_ALPN],
    SNICallback: (servername, done) => {
      const pair = source.challengeFor(servername.toLowerCase());
      if (!pair) {
        logger.warn({ domain: servername }, 'a TLS-ALPN-01 validation arrived for a name with no pending challenge');
        done(new Error('no pending challenge'));
        return;
      }
      logger.info({ domain: servername }, 'answering a TLS-ALPN-01 validation');
      done(null, createSecureContext({ ...pair, ...TLS_POLICY }));
    },
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => {});
    socket.end();
  });
  server.on('tlsClientError', (_error, socket) => socket.destroy());
  return server;
}
