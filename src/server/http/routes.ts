import type { Logger } from '../logger.js';
import { createHealthHandler } from './health.js';
import { type RequestHandler, sendText } from './static-files.js';

export interface RoutesOptions {
  staticFiles: RequestHandler;
  logger: Logger;
  /** True once a stop has begun: /healthz answers 503. */
  isStopping(): boolean;
}

/** Routes every (non-upgrade) HTTPS request: /healthz, else the web client. GET and HEAD only. */
export function createRoutes({ staticFiles, logger, isStopping }: RoutesOptions): RequestHandler {
  const routes = new Map<string, RequestHandler>([
    ['/healthz', createHealthHandler({ isStopping })],
    // Metrics are for the operator, on their own listener (--metrics-port); never the page here.
    ['/metrics', async (req, res) => sendText(res, req, 404, 'Not found')],
  ]);
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, req, 405, 'Method not allowed');
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    try {
      await (routes.get(path) ?? staticFiles)(req, res);
    } catch (error) {
      logger.error({ err: error }, 'http request failed');
      if (!res.headersSent) sendText(res, req, 500, 'Internal error');
      else res.destroy();
    }
  };
}
