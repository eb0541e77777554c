/** Addresses are never logged (common rule); CA messages often name the server's. */
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;
// Three colons at least, or a "::" (a time of day has two and none).
const IPV6 = /\[?(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\]?|\[?[0-9a-f:]*::[0-9a-f:]*\]?/gi;

/** A failure of our own making, whose message already says it plainly. */
export class AcmeFailure extends Error {
  override name = 'AcmeFailure';
}

/** The CA's own words, with any address replaced, for the log line after the plain one. */
export function redactCaMessage(message: string): string {
  return message.replace(IPV4, '<address>').replace(IPV6, '<address>').slice(0, 500);
}

const RULES: readonly (readonly [RegExp, (domains: string) => string])[] = [
  [
    /rate ?limit|too many (certificates|failed|new orders|registrations|requests)|429/i,
    () => 'the CA is rate limiting us (too many certificates or failed attempts recently); retrying later',
  ],
  [
    /DNS problem|NXDOMAIN|no valid (A|AAAA) records|SERVFAIL|no such host|lookup .* on /i,
    (domains) => `DNS for ${domains} does not point here: the CA cannot look the name up (check the A/AAAA records)`,
  ],
  [/CAA/, (domains) => `a CAA record of ${domains} forbids this CA from issuing for it`],
  [
    // Let's Encrypt: "Connection refused", "Timeout during connect (likely firewall problem)";
    // pebble: "Failed to connect to <ip>:<port> for the tls-alpn-01 challenge".
    /connection refused|timeout during connect|failed to connect|timed out|i\/o timeout|no route to host|connect: |connection reset|firewall/i,
    (domains) =>
      `the CA could not connect to ${domains}: the port is not reachable from the internet (firewall, port forwarding, or another server on it)`,
  ],
  [
    /acme-tls\/1|tls-alpn|ALPN/i,
    (domains) =>
      `the CA reached ${domains} but not this server's TLS-ALPN-01 answer: something else answers on port 443 (a proxy in front?)`,
  ],
  [
    /unauthorized|incorrect ?response|key ?authorization|404|403/i,
    (domains) =>
      `the CA reached ${domains} but got the wrong challenge answer: is another server answering for this name?`,
  ],
  [
    /rejectedIdentifier|policy forbids|not a valid domain|invalid identifier|malformed.*identifier/i,
    (domains) => `the CA refuses to issue for ${domains} (not a public domain name?)`,
  ],
  [
    // acme-client 5.4 loses a network error once its own retries are spent and throws
    // "Cannot read properties of undefined (reading 'config')" instead: the same case.
    /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|socket hang up|timeout of \d+ms|reading 'config'/,
    () => 'cannot reach the CA (no network, or a wrong --acme-directory)',
  ],
  [
    /self[- ]signed|unable to verify|certificate|UNABLE_TO_GET_ISSUER|DEPTH_ZERO/i,
    () => "cannot trust the CA's HTTPS certificate (give its root with --acme-ca for a test CA)",
  ],
];

/** Maps an acme-client error to one plain sentence an operator can act on. */
export function explainAcmeError(error: unknown, domains: readonly string[]): string {
  if (error instanceof AcmeFailure) return error.message;
  const message =
    error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` : String(error);
  const names = domains.join(', ');
  for (const [pattern, explain] of RULES) if (pattern.test(message)) return explain(names);
  return `the CA refused the order for ${names}`;
}
