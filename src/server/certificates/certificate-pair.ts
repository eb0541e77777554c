import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Result } from '../../shared/protocol/result.js';
import { TLS_POLICY } from './tls-policy.js';

/** A certificate made "now" by a CA whose clock runs a little ahead is still taken. */
const NOT_BEFORE_SKEW_MS = 3_600_000;

/** PEM private key and certificate chain (leaf first). */
export interface CertificatePair {
  key: string;
  cert: string;
}

/** What an operator wants to read about a certificate in a log line (no secrets, no addresses). */
export interface CertificateInfo {
  serial: string;
  notBefore: number;
  notAfter: number;
  /** DNS names of the subjectAltName. */
  names: string[];
}

/** A pair that OpenSSL accepts with TLS_POLICY, ready to swap in. */
export interface CheckedPair {
  pair: CertificatePair;
  info: CertificateInfo;
}

/** Reads serial, validity and names of the leaf certificate. */
export function describeCertificate(certPem: string): CertificateInfo {
  const x509 = new X509Certificate(certPem);
  const names = (x509.subjectAltName ?? '')
    .split(', ')
    .flatMap((entry) => (entry.startsWith('DNS:') ? [entry.slice(4)] : []));
  return {
    serial: x509.serialNumber.toLowerCase(),
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
    names,
  };
}

/**
 * Checks that key and certificate parse, belong together and are valid now, and builds the
 * secure context; a pair that fails gets a sentence saying why, never a half-applied change.
 */
export function checkCertificatePair(pair: CertificatePair, wallNow: number): Result<CheckedPair, string> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pair.cert);
  } catch {
    return { ok: false, error: 'the certificate is not a PEM certificate' };
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(pair.key))) {
      return { ok: false, error: 'the private key does not belong to the certificate' };
    }
  } catch {
    return { ok: false, error: 'the private key is not a PEM private key' };
  }
  const info = describeCertificate(pair.cert);
  if (info.notAfter <= wallNow) return { ok: false, error: `the certificate expired on ${iso(info.notAfter)}` };
  if (info.notBefore > wallNow + NOT_BEFORE_SKEW_MS)
    return { ok: false, error: `the certificate is not valid before ${iso(info.notBefore)}` };
  try {
    createSecureContext({ ...pair, ...TLS_POLICY });
    return { ok: true, value: { pair, info } };
  } catch (error) {
    return { ok: false, error: `OpenSSL refused the pair (${(error as Error).message})` };
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
