import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './static-files.js';

const HEALTH_BODY = JSON.stringify({ status: 'ok' });

/** `GET /healthz`: 200 `{"status":"ok"}` while the process serves requests. */
export async function handleHealth(req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(HEALTH_BODY),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : HEALTH_BODY);
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
