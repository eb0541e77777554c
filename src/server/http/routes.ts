import type { Logger } from '../logger.js';
import { createHealthHandler, createMetricsHandler, type MetricsSource } from './health.js';
import { type RequestHandler, sendText } from './static-files.js';

export interface RoutesOptions {
  staticFiles: RequestHandler;
  metrics: MetricsSource;
  logger: Logger;
  /** False while the node cannot serve new calls (Redis unreachable): /healthz answers 503. */
  healthy?: () => boolean;
}

/** Routes every (non-upgrade) HTTPS request: /healthz, /metrics, else the web client. GET and HEAD only. */
export function createRoutes({ staticFiles, metrics, logger, healthy }: RoutesOptions): RequestHandler {
  const routes = new Map<string, RequestHandler>([
    ['/healthz', createHealthHandler(healthy)],
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
