import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './static-files.js';

const HEALTH_BODY = JSON.stringify({ status: 'ok' });
const UNHEALTHY_BODY = JSON.stringify({ status: 'unhealthy', reason: 'redis unreachable' });

/**
 * `GET /healthz`: 200 `{"status":"ok"}` while the process serves requests; 503 while the shared
 * registry (Redis, several nodes) cannot be reached, so a load balancer sends new calls elsewhere.
 */
export function createHealthHandler(healthy: () => boolean = () => true): RequestHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const ok = healthy();
    const body = ok ? HEALTH_BODY : UNHEALTHY_BODY;
    res.writeHead(ok ? 200 : 503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** What /metrics needs of the metrics object (PromMetrics has both). */
export interface MetricsSource {
  render(): Promise<string>;
  readonly contentType: string;
}

/** `GET /metrics`: the Prometheus text exposition. */
export function createMetricsHandler(metrics: MetricsSource): RequestHandler {
  return async (req, res) => {
    const body = await metrics.render();
    res.writeHead(200, {
      'Content-Type': metrics.contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
