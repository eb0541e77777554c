import type { Logger } from '../logger.js';
import { createMetricsHandler, handleHealth, type MetricsSource } from './health.js';
import { type RequestHandler, sendText } from './static-files.js';

export interface RoutesOptions {
  staticFiles: RequestHandler;
  metrics: MetricsSource;
  logger: Logger;
}

/** Routes every (non-upgrade) HTTPS request: /healthz, /metrics, else the web client. GET and HEAD only. */
export function createRoutes({ staticFiles, metrics, logger }: RoutesOptions): RequestHandler {
  const routes = new Map<string, RequestHandler>([
    ['/healthz', handleHealth],
    ['/metrics', createMetricsHandler(metrics)],
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
