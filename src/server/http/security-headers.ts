import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const policy = (scriptSources: readonly string[]): string =>
  [
    "default-src 'self'",
    `script-src ${["'self'", ...scriptSources].join(' ')}`,
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');

/**
 * Content Security Policy for the client: everything from our own origin, no inline script or
 * style, no plugins, no framing, no form posts. `blob:` and `data:` cover media streams and
 * generated images (the QR code).
 */
export const CONTENT_SECURITY_POLICY = policy([]);

/** An inline `<script>` element without `src`, and its text as the browser hashes it. */
const INLINE_SCRIPT = /<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script\s*>/gi;

/**
 * The policy for one HTML page: as CONTENT_SECURITY_POLICY, and the page's own inline scripts
 * (the build inlines the entry script, vite.config.ts) allowed by their SHA-256 hash, computed
 * from the very bytes served. Any other inline script stays refused; never 'unsafe-inline'.
 */
export function pagePolicy(html: string): string {
  const hashes = new Set<string>();
  for (const m of html.matchAll(INLINE_SCRIPT)) {
    // The HTML parser turns CR LF and lone CR into LF before the script sees (and hashes) its text.
    const text = (m[1] ?? '').replace(/\r\n?/g, '\n');
    if (text.trim() === '') continue;
    hashes.add(`'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
  }
  return hashes.size === 0 ? CONTENT_SECURITY_POLICY : policy([...hashes]);
}

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000',
  'Permissions-Policy': 'camera=(self), microphone=(self), screen-wake-lock=(self), geolocation=(), payment=()',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
});

/**
 * Sets the security headers on a response before anything is written; `csp` replaces the
 * default policy (an HTML page's own, from pagePolicy).
 */
export function applySecurityHeaders(res: ServerResponse, csp?: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (csp !== undefined) res.setHeader('Content-Security-Policy', csp);
}
