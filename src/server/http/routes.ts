import type { Logger } from '../logger.js';
import { createHealthHandler, createMetricsHandler, type MetricsSource, type ReadinessSource } from './health.js';
import { sendStartingPage } from './starting-page.js';
import { type RequestHandler, sendText } from './static-files.js';

export interface RoutesOptions {
  staticFiles: RequestHandler;
  metrics: MetricsSource;
  logger: Logger;
  /** Until ready, pages are a "getting its certificate" notice and /healthz says 503; default: always ready. */
  readiness?: ReadinessSource;
}

/** Routes every (non-upgrade) HTTPS request: /healthz, /metrics, else the web client. GET and HEAD only. */
export function createRoutes({ staticFiles, metrics, logger, readiness }: RoutesOptions): RequestHandler {
  const isReady = readiness ?? (() => ({ ready: true }));
  const routes = new Map<string, RequestHandler>([
    ['/healthz', createHealthHandler(isReady)],
    ['/metrics', createMetricsHandler(metrics)],
  ]);
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, req, 405, 'Method not allowed');
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    try {
      const route = routes.get(path);
      if (route) await route(req, res);
      else if (!isReady().ready) sendStartingPage(req, res);
      else await staticFiles(req, res);
    } catch (error) {
      logger.error({ err: error }, 'http request failed');
      if (!res.headersSent) sendText(res, req, 500, 'Internal error');
      else res.destroy();
    }
  };
}
