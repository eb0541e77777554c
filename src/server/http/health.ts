import type { RequestHandler } from './static-files.js';

const HEALTH_BODY = JSON.stringify({ status: 'ok' });
const OBTAINING_BODY = JSON.stringify({ status: 'starting', tls: 'obtaining certificate' });

/** Whether the server is serving its real certificate yet (ACME: not before the first one arrives). */
export type ReadinessSource = () => { ready: boolean; reason?: string };

/**
 * `GET /healthz`: 200 `{"status":"ok"}` while the process serves requests; 503
 * `{"status":"starting","tls":"obtaining certificate"}` while ACME gets the first certificate.
 */
export function createHealthHandler(readiness: ReadinessSource): RequestHandler {
  return async (req, res) => {
    const { ready, reason } = readiness();
    // A reason (e.g. "redis unreachable" with several nodes) replaces the certificate notice.
    const body = ready
      ? HEALTH_BODY
      : reason === undefined
        ? OBTAINING_BODY
        : JSON.stringify({ status: 'unhealthy', reason });
    res.writeHead(ready ? 200 : 503, {
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
