import { err, ok, type Result } from '../../shared/protocol/index.js';

/** What vetting needs of an HTTP upgrade request. */
export interface UpgradeRequest {
  url: string | undefined;
  /** The connection is TLS (the socket is a TLSSocket). */
  encrypted: boolean;
  headers: {
    origin?: string | undefined;
    host?: string | undefined;
    'x-forwarded-proto'?: string | string[] | undefined;
    'x-forwarded-for'?: string | string[] | undefined;
  };
  /** The socket's peer address; read only when no trusted X-Forwarded-For gives the address. */
  readonly remoteAddress: string | undefined;
}

/** The operator's choices. */
export interface UpgradePolicy {
  trustProxy: boolean;
  allowedOrigins: ReadonlySet<string>;
  maxSockets: number;
  socketsPerAddress: number;
}

/** The gateway's state at this moment. */
export interface UpgradeLoad {
  shuttingDown: boolean;
  sockets: number;
  /** How many sockets each client address holds now. */
  socketsOf(address: string): number;
}

/** HTTP statuses an upgrade can be refused with. */
export type UpgradeRefusal = 403 | 404 | 426 | 429 | 503;

/**
 * Vets an upgrade to /signal (protocol.md H1, H2, H4, D3): a pure function of the request, the
 * policy and the load, so every refusal is testable without a socket. On success, the client
 * address its slot is counted under.
 */
export function vetUpgrade(
  req: UpgradeRequest,
  policy: UpgradePolicy,
  load: UpgradeLoad,
): Result<{ address: string }, UpgradeRefusal> {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path !== '/signal') return err(404);
  // TLS only: plain ws is refused before any session state is touched.
  const proxied = policy.trustProxy && req.headers['x-forwarded-proto'] === 'https';
  if (!req.encrypted && !proxied) return err(426);
  if (!originAllowed(req, policy.allowedOrigins)) return err(403);
  if (load.shuttingDown || load.sockets >= policy.maxSockets) return err(503);
  const address = clientAddress(req, policy.trustProxy);
  if (load.socketsOf(address) >= policy.socketsPerAddress) return err(429);
  return ok({ address });
}

/** Same origin as the requested host, or an exact configured origin; never a substring match. */
function originAllowed(req: UpgradeRequest, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  // Non-browser clients send no Origin; a browser always does, so CSWSH is still blocked.
  if (origin === undefined) return true;
  if (allowed.has(origin)) return true;
  const host = req.headers.host;
  return host !== undefined && origin === `https://${host.toLowerCase()}`;
}

/** The client's address: the socket's, or behind a trusted proxy the hop that proxy appended. */
export function clientAddress(req: UpgradeRequest, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    // The last hop is the one our trusted proxy appended; earlier ones are client-supplied.
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.remoteAddress ?? 'unknown';
}
