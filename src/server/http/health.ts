import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './static-files.js';

const OK_BODY = JSON.stringify({ status: 'ok' });
const OBTAINING_BODY = JSON.stringify({ status: 'starting', tls: 'obtaining certificate' });
const STOPPING_BODY = JSON.stringify({ status: 'stopping' });

/** Whether the server is serving its real certificate yet (ACME: not before the first one arrives). */
export type ReadinessSource = () => { ready: boolean; reason?: string };

export interface HealthOptions {
  readiness: ReadinessSource;
  /** True from SIGTERM on: a load balancer takes the node out while its sockets drain. */
  isStopping(): boolean;
}

/**
 * `GET /healthz`: 200 `{"status":"ok"}` while serving; 503 `{"status":"starting","tls":"obtaining
 * certificate"}` while ACME gets the first certificate; 503 `{"status":"unhealthy","reason":...}` while
 * the readiness source gives a reason (several nodes: Redis unreachable); 503 `{"status":"stopping"}`
 * once a stop has begun.
 */
export function createHealthHandler({ readiness, isStopping }: HealthOptions): RequestHandler {
  return async (req, res) => {
    const stopping = isStopping();
    const { ready, reason } = readiness();
    // A reason (e.g. "redis unreachable" with several nodes) replaces the certificate notice.
    const body = stopping
      ? STOPPING_BODY
      : ready
        ? OK_BODY
        : reason === undefined
          ? OBTAINING_BODY
          : JSON.stringify({ status: 'unhealthy', reason });
    res.writeHead(!stopping && ready ? 200 : 503, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      ...(stopping ? { Connection: 'close' } : {}),
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
  return async (req: IncomingMessage, res: ServerResponse) => {
    const body = await metrics.render();
    res.writeHead(200, {
      'Content-Type': metrics.contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
