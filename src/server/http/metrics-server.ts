import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { createMetricsHandler, type MetricsSource } from './health.js';
import { sendText } from './static-files.js';

export interface MetricsServerOptions {
  metrics: MetricsSource;
  logger: Logger;
}

/** The separate /metrics listener. */
export interface MetricsServer {
  listen(port: number, host: string | undefined): Promise<AddressInfo>;
  close(): Promise<void>;
}

const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_HEADER_BYTES = 8 * 1024;

/**
 * A plain-HTTP listener that serves only `GET /metrics`, as Prometheus exporters do: how many
 * calls a server carries is for its operator, so it is not on the public port. Loopback by
 * default (`--metrics-host`); plain HTTP, so it belongs on loopback or a private network.
 */
export function createMetricsServer({ metrics, logger }: MetricsServerOptions): MetricsServer {
  const handleMetrics = createMetricsHandler(metrics);
  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES },
    (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return sendText(res, req, 405, 'Method not allowed');
      }
      if ((req.url ?? '').split('?', 1)[0] !== '/metrics') return sendText(res, req, 404, 'Not found');
      handleMetrics(req, res).catch((error: unknown) => {
        logger.error({ err: error }, 'metrics request failed');
        if (!res.headersSent) sendText(res, req, 500, 'Internal error');
        else res.destroy();
      });
    },
  );
  // Nothing else can be asked of this listener; a WebSocket upgrade is simply refused.
  server.on('upgrade', (_req, socket) => socket.destroy());
  server.on('clientError', (_error, socket) => socket.destroy());
  return {
    listen: (port, host) =>
      new Promise<AddressInfo>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
