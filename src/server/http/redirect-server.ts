import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendText } from './static-files.js';

const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export interface RedirectServerOptions {
  /** The HTTPS port the redirects point to. */
  httpsPort: number;
  /** The key authorization for an HTTP-01 token being validated, else undefined. */
  http01Answer: (token: string) => string | undefined;
}

/** The --http-port listener (port 80). */
export interface RedirectServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * Plain HTTP on port 80: answers ACME HTTP-01 validations and sends everything else to https
 * with a 308. It never serves the app, the metrics or /signal.
 */
export function createRedirectServer(options: RedirectServerOptions): RedirectServer {
  const server: Server = createServer({ headersTimeout: 10_000, requestTimeout: 15_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, req, 405, 'Method not allowed; use https');
    }
    if (path.startsWith(CHALLENGE_PREFIX)) {
      const token = path.slice(CHALLENGE_PREFIX.length);
      const answer = TOKEN.test(token) ? options.http01Answer(token) : undefined;
      if (answer === undefined) return sendText(res, req, 404, 'Not found');
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(answer) });
      return res.end(req.method === 'HEAD' ? undefined : answer);
    }
    const host = req.headers.host;
    if (host === undefined || !HOST_NAME.test(host)) return sendText(res, req, 400, 'Bad request; use https');
    const name = host.replace(/:\d+$/, '');
    const port = options.httpsPort === 443 ? '' : `:${options.httpsPort}`;
    res.writeHead(308, {
      Location: `https://${name}${port}${req.url?.startsWith('/') ? req.url : '/'}`,
      'Content-Length': 0,
      'Cache-Control': 'no-store',
    });
    res.end();
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: async () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
