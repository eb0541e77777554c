import type { Logger } from '../logger.js';
import { createHealthHandler, type ReadinessSource } from './health.js';
import { sendStartingPage } from './starting-page.js';
import { type RequestHandler, sendText } from './static-files.js';

export interface RoutesOptions {
  staticFiles: RequestHandler;
  logger: Logger;
  /** Until ready, pages are a "getting its certificate" notice and /healthz says 503; default: always ready. */
  readiness?: ReadinessSource;
  /** True once a stop has begun: /healthz answers 503. */
  isStopping(): boolean;
}

/** Routes every (non-upgrade) HTTPS request: /healthz, else the web client. GET and HEAD only. */
export function createRoutes({ staticFiles, logger, readiness, isStopping }: RoutesOptions): RequestHandler {
  const isReady = readiness ?? (() => ({ ready: true }));
  const routes = new Map<string, RequestHandler>([
    ['/healthz', createHealthHandler({ readiness: isReady, isStopping })],
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
