import type { SecureContextOptions } from 'node:tls';

/**
 * The TLS settings every HomeCall listener uses, after Mozilla's "intermediate" profile minus
 * the finite-field DHE suites: TLS 1.2 at least; for TLS 1.2 only ECDHE key exchange with an
 * AEAD cipher (AES-GCM or ChaCha20-Poly1305), so no CBC, RC4, 3DES, NULL, EXPORT or static-RSA
 * suite is ever offered; TLS 1.3 with its three standard suites. The server's order wins.
 */
export const TLS_POLICY = Object.freeze({
  minVersion: 'TLSv1.2',
  ciphers: [
    // TLS 1.3 (OpenSSL names them by their IANA names).
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    // TLS 1.2: forward secret and authenticated encryption only.
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: 'X25519:P-256:P-384',
  honorCipherOrder: true,
} satisfies SecureContextOptions);
