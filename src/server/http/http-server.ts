import {
  createServer as createPlainServer,
  type Server as HttpServer,
  type IncomingMessage,
  STATUS_CODES,
} from 'node:http';
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Limits } from '../../shared/protocol/limits.js';
import type { CertificatePair } from '../certificates/certificate-pair.js';
import {
  ACME_TLS_ALPN,
  type AlpnChallengeSource,
  createAlpnChallengeServer,
} from '../certificates/alpn-challenge-server.js';
import { firstRecordLength, MAX_RECORD_BYTES, parseClientHello } from '../certificates/client-hello.js';
import { TLS_POLICY } from '../certificates/tls-policy.js';
import type { Clock } from '../clock.js';
import { DeadlineQueue } from '../deadline-queue.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RequestHandler } from './static-files.js';
import { refuseRaw } from './raw-refusal.js';
import { ignoreSocketError } from './socket-errors.js';
import { sendText } from './static-files.js';

/** The one WebSocket endpoint; matched exactly (no `/signal/`, `/SIGNAL`, `/signal%00`). */
export const SIGNAL_PATH = '/signal';

/** reliability.md, "Defaults and why": HTTP for the upgrade. */
const REQUEST_TIMEOUT_MS = 15_000;
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_HEADERS_COUNT = 100;
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** First byte of a TLS record carrying a handshake (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;
/**
 * A STUN message starts with two zero bits; every TURN method's first byte is 0x00-0x03, and
 * no HTTP request line or TLS record starts so. (ChannelData, 0x40-0x7F, collides with ASCII
 * method names, but it never opens a connection: a TURN client allocates first.)
 */
const isStunStart = (byte: number | undefined) => byte !== undefined && byte <= 0x03;

/** Takes over a TCP or TLS connection that speaks STUN/TURN (RFC 8656 §12.5 framing). */
export type TurnStreamHandler = (stream: Duplex, remote: { ip: string; port: number }) => void;

const HOST_HEADER = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/** What the server needs of the signalling gateway. */
export interface UpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpServerOptions {
  /** The certificate served first; `setCertificate` swaps it at run time. */
  tls: CertificatePair;
  /** ACME TLS-ALPN-01: connections offering only `acme-tls/1` get the challenge certificate. */
  alpnChallenges?: AlpnChallengeSource;
  limits: Pick<Limits, 'tlsHandshakeMs' | 'headersTimeoutMs'>;
  /** Serve plain requests that carry `X-Forwarded-Proto: https` (TLS ended at a trusted proxy). */
  trustProxy: boolean;
  handleRequest: RequestHandler;
  gateway: UpgradeHandler;
  /** The built-in TURN server: connections (plain or inside TLS) that start with STUN go to it. */
  turn?: TurnStreamHandler;
  logger: Logger;
  metrics: Pick<Metrics, 'upgradeRefused'>;
  clock: Clock;
}

/** One port: TLS connections go to HTTPS, anything else to a plain server that only redirects. */
export interface HomeCallHttpServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /**
   * Serves this pair to every new handshake from now on; connections already open keep theirs.
   * The caller checks the pair first (checkCertificatePair): OpenSSL's refusal throws here.
   */
  setCertificate(pair: CertificatePair): void;
  /** Closes the listening socket; open connections carry on. */
  stopAccepting(): void;
  /** Stops accepting and cuts every connection still open. */
  close(): Promise<void>;
}

/**
 * Builds the single-port server. A `net.Server` reads the first byte of each connection:
 * a TLS handshake record goes to the HTTPS server; anything else is plain HTTP, which is
 * redirected to https (pages) or refused with 426 (WebSocket upgrades) before any session
 * state is touched, unless trust-proxy is on and the request came through the TLS proxy.
 */
export function createHttpServer(options: HttpServerOptions): HomeCallHttpServer {
  const { limits, logger, metrics, gateway } = options;
  const httpOptions = {
    headersTimeout: limits.headersTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    requestTimeout: Math.max(REQUEST_TIMEOUT_MS, limits.headersTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
  };
  const serve = (req: IncomingMessage, res: Parameters<RequestHandler>[1]) => {
    options.handleRequest(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'http request failed');
      res.destroy();
    });
  };

  const refuseUpgrade = (socket: Duplex, status: number, text: string) => {
    metrics.upgradeRefused(status);
    refuseRaw(socket, status, text, options.clock);
  };
  const routeUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(req) === SIGNAL_PATH) gateway.handleUpgrade(req, socket, head);
    else refuseUpgrade(socket, 404, 'Not found');
  };

  const tlsServer: HttpsServer = createTlsServer(
    {
      ...httpOptions,
      key: options.tls.key,
      cert: options.tls.cert,
      ...TLS_POLICY,
      handshakeTimeout: limits.tlsHandshakeMs,
    },
    serve,
  );
  tlsServer.on('upgrade', routeUpgrade);
  if (options.turn !== undefined) routeDecrypted(tlsServer, options.turn, limits.tlsHandshakeMs);
  tlsServer.on('tlsClientError', (error: NodeJS.ErrnoException, socket) => {
    logger.debug({ code: error.code }, 'tls handshake failed');
    socket.destroy();
  });

  const isTrusted = (req: IncomingMessage) => options.trustProxy && forwardedProto(req) === 'https';
  const plainServer: HttpServer = createPlainServer(httpOptions, (req, res) => {
    if (isTrusted(req)) return serve(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, req, 405, 'Method not allowed; use https');
    }
    const host = req.headers.host;
    if (host === undefined || !HOST_HEADER.test(host)) return sendText(res, req, 400, 'Bad request; use https');
    // The same port speaks TLS, so the redirect keeps host and port.
    res.writeHead(308, {
      // Only origin-form targets; an absolute-form one (`GET http://x/`) just goes home.
      Location: `https://${host}${req.url?.startsWith('/') ? req.url : '/'}`,
      'Content-Length': 0,
      'Cache-Control': 'no-store',
    });
    res.end();
  });
  plainServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isTrusted(req)) return routeUpgrade(req, socket, head);
    refuseUpgrade(socket, 426, 'Use wss:// (TLS)');
  });

  for (const inner of [tlsServer, plainServer]) {
    inner.maxHeadersCount = MAX_HEADERS_COUNT;
    inner.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
      handleClientError(error, socket, options.clock),
    );
    // These servers never listen themselves; 'listening' is what starts Node's per-server
    // connection tracking, without which headersTimeout and requestTimeout are never enforced.
    inner.emit('listening');
  }

  const alpnServer = options.alpnChallenges && createAlpnChallengeServer(options.alpnChallenges, logger);
  const routeTls = (socket: Socket, head: Buffer) => {
    const hello = alpnServer && parseClientHello(head);
    // RFC 8737 §3: the validator offers acme-tls/1 and nothing else.
    const target = hello?.alpn.length === 1 && hello.alpn[0] === ACME_TLS_ALPN ? alpnServer : tlsServer;
    socket.unshift(head);
    // TLSSocket reads the unshifted bytes itself on its first tick: no resume() here.
    (target ?? tlsServer).emit('connection', socket);
  };

  const sockets = new Set<Socket>();
  // Handlers every connection shares (`this` is the socket): none is made per connection for
  // the connection's whole life.
  const onClose = function (this: Socket) {
    sockets.delete(this);
    firstByte.delete(this);
  };
  // A connection that never sends its first byte is cut like a stalled handshake (H9): one
  // clock timer for all of them, not a socket timeout each.
  const firstByte = new DeadlineQueue<Socket>({
    clock: options.clock,
    delayMs: limits.tlsHandshakeMs,
    expire: (socket) => socket.destroy(),
  });
  const server: NetServer = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    // 'on', not 'once': a socket emits 'close' once, and once() wraps the listener in a state
    // object and a bound function the socket would hold for its whole life.
    socket.on('close', onClose);
    socket.on('error', ignoreSocketError);
    firstByte.add(socket);
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const isTls = head[0] === TLS_HANDSHAKE_RECORD;
      // With ACME on, wait for the whole first record to read its ALPN (bounded by the record size).
      const wanted = isTls && alpnServer ? Math.min(firstRecordLength(head) ?? 5, MAX_RECORD_BYTES) : 1;
      if (head.length < wanted) return;
      socket.off('data', onData);
      firstByte.delete(socket);
      socket.pause();
      if (isTls) routeTls(socket, head);
      else if (options.turn !== undefined && isStunStart(head[0])) {
        socket.unshift(head);
        options.turn(socket, remoteOf(socket));
        socket.resume();
      } else {
        socket.unshift(head);
        plainServer.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });

  let accepting = false;
  const stopAccepting = () => {
    if (accepting) server.close();
    accepting = false;
  };

  return {
    listen: (port, host) =>
      new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          accepting = true;
          resolve(server.address() as AddressInfo);
        });
      }),
    setCertificate: (pair) => tlsServer.setSecureContext({ ...pair, ...TLS_POLICY }),
    stopAccepting,
    close: async () => {
      stopAccepting();
      firstByte.stop();
      alpnServer?.close();
      for (const inner of [tlsServer, plainServer]) {
        inner.close();
        inner.closeAllConnections();
      }
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * After the handshake, tells TURN-over-TLS from HTTPS by the first decrypted byte: the HTTPS
 * server's own listener gets the connection only once it is known to carry HTTP.
 */
function routeDecrypted(server: HttpsServer, turn: TurnStreamHandler, idleMs: number): void {
  const http = server.listeners('secureConnection') as Array<(socket: TLSSocket) => void>;
  server.removeAllListeners('secureConnection');
  server.on('secureConnection', (socket: TLSSocket) => {
    // A connection that sends nothing after its handshake is cut, as before the handshake.
    const onIdle = () => socket.destroy();
    socket.setTimeout(idleMs, onIdle);
    socket.once('data', (chunk: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', onIdle);
      socket.pause();
      socket.unshift(chunk);
      if (isStunStart(chunk[0])) turn(socket, remoteOf(socket));
      else for (const listener of http) listener.call(server, socket);
      socket.resume();
    });
  });
}

function remoteOf(socket: Socket | TLSSocket): { ip: string; port: number } {
  return { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
}

/**
 * Node's default answer to a malformed or oversized request writes and destroys in one go,
 * which over TLS drops the answer; end() first, so the client learns why (431, 408, 400).
 */
function handleClientError(error: NodeJS.ErrnoException, socket: Duplex, clock: Clock): void {
  if (!socket.writable || (socket as Socket).bytesWritten > 0 || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  refuseRaw(socket, status, STATUS_CODES[status] ?? 'Bad request', clock);
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?', 1)[0] ?? '';
}

/** Exactly what our proxy sets (nginx: `X-Forwarded-Proto https`); the gateway checks the same way. */
function forwardedProto(req: IncomingMessage): string | undefined {
  const value = req.headers['x-forwarded-proto'];
  return Array.isArray(value) ? undefined : value;
}
