import { isIPv6 } from 'node:net';
import type { DestinationStream } from 'pino';
import { createCertificateService } from './certificates/certificate-service.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, resolveTokenSecret } from './config/index.js';
import { SignalGateway } from './gateway/signal-gateway.js';
import { createHttpServer } from './http/http-server.js';
import { createMetricsServer, type MetricsServer } from './http/metrics-server.js';
import { createRedirectServer, type RedirectServer } from './http/redirect-server.js';
import { createRoutes } from './http/routes.js';
import { createStaticFiles } from './http/static-files.js';
import { createIceServerProvider } from './ice-servers.js';
import { LogSink } from './log-sink.js';
import { createLogger, createSessionTagger, type Logger } from './logger.js';
import { metricsObserver, PromMetrics } from './metrics.js';
import { MemoryRegistry } from './sessions/memory-registry.js';
import { RedisRegistry } from './sessions/redis-registry.js';
import { ResumeTokens } from './sessions/resume-token.js';
import type { ContextRef } from './sessions/session-events.js';
import { SessionService } from './sessions/session-service.js';
import type { SessionRegistry } from './sessions/session-registry.js';
import { announce, turnUrls } from './turn/announce.js';
import { clusterCredentials } from './turn/cluster-credentials.js';
import type { CredentialSeat } from './turn/turn-credentials.js';
import { ThreadedTurnServer } from './turn/turn-thread.js';

/** A running server. */
export interface App {
  /** The URL to open, e.g. https://localhost:8443/. */
  url: string;
  port: number;
  /** `http://127.0.0.1:PORT/metrics` when `--metrics-port` is set; undefined when metrics are off. */
  metricsUrl: string | undefined;
  /** The --http-port listener's port, when it is on. */
  httpPort: number | undefined;
  /** SIGHUP: reads --tls-cert/--tls-key again (a broken pair is refused and the old one kept). */
  reloadCertificates(): void;
  /**
   * Graceful stop: /healthz and new upgrades answer 503 while every signalling socket is closed
   * with 1012, then the listener and everything else close (within 5 s).
   */
  close(): Promise<void>;
}

export interface AppOptions {
  /** Where log lines go (main.ts gives its stdout LogSink; tests collect the lines). */
  logDestination: DestinationStream | LogSink;
  /** Directory of the built web client; default dist/web. */
  webRoot?: string;
  /** Time for every part of the server (timeouts on its monotonic `now`); the system clock by default. */
  clock?: Clock;
  /** Time for certificate renewals and reload debouncing only; `clock` by default. */
  certificateClock?: Clock;
}

/** The whole close must finish within this, whatever the gateway does. */
const CLOSE_BUDGET_MS = 5000;
/** The share of that budget the gateway gets to say goodbye (1012) to its sockets. */
const GATEWAY_SHUTDOWN_BUDGET_MS = 3500;
const LOG_FLUSH_BUDGET_MS = 500;
/**
 * The composition root (style.md §2): the only place that constructs and wires the server's
 * parts; every other module gets its collaborators in an options object. Then listens.
 */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const clock = options.clock ?? systemClock;
  const destination = options.logDestination;
  const logger = createLogger({ level: config.logLevel, destination });
  const metrics = new PromMetrics();
  if (destination instanceof LogSink) {
    metrics.watchLogSink(destination);
    destination.onRecovered((dropped) => logger.warn({ dropped }, 'log lines were dropped while stdout was stalled'));
  }
  const certificates = await createCertificateService(config, {
    clock: options.certificateClock ?? clock,
    logger,
  });
  const { limits } = config;
  const redis = await startRedisRegistry(config, { logger, metrics, clock });
  const registry: SessionRegistry =
    redis ??
    new MemoryRegistry({
      maxSessions: limits.maxSessions,
      tombstoneMs: limits.sessionLifetimeMs,
      queue: { frames: limits.queueFrames, bytes: limits.queueBytes },
      clock,
    });
  // One server secret signs resume tokens and keys the log tag of session ids.
  const tokenSecret = resolveTokenSecret(config);
  // The built-in STUN/TURN server, unless coturn is configured; it listens before anything joins.
  const turn =
    config.builtinTurn && config.turnUrls.length === 0 ? await startTurn(config, { logger, clock }) : undefined;
  // Several nodes: a context that ended anywhere ends its TURN credentials here too.
  const mintTurn =
    turn === undefined
      ? undefined
      : redis === null
        ? (seat: CredentialSeat) => turn.server.credentials.mint(seat)
        : clusterCredentials(redis, turn.server.credentials);
  let httpsPort: number | undefined;
  const sessions = new SessionService({
    registry,
    tokens: new ResumeTokens(tokenSecret),
    logger,
    metrics,
    observers: [
      metricsObserver(metrics),
      // A context's TURN credentials and allocations end with it (hangup, timeout, lifetime).
      ...(turn === undefined
        ? []
        : [{ contextEnded: ({ contextId }: ContextRef) => turn.server.credentials.endContext(contextId) }]),
    ],
    limits,
    clock,
    iceServers: createIceServerProvider(config, {
      clock,
      ...(turn === undefined || mintTurn === undefined
        ? {}
        : {
            builtin: {
              urls: () => turnUrls(turn.host, turn.udpPort, turn.streams ? httpsPort : undefined),
              mint: mintTurn,
            },
          }),
    }),
    tagSession: createSessionTagger(tokenSecret),
  });
  metrics.watchRegistry({ stats: () => registry.stats(), timers: () => sessions.timerCount });
  const gateway = new SignalGateway({
    limits,
    logger,
    metrics,
    sessions,
    trustProxy: config.trustProxy,
    allowedOrigins: config.allowedOrigins,
    clock,
  });
  // From SIGTERM on, /healthz and new upgrades answer 503 while the listener stays open, so a
  // load balancer sees the node leave instead of meeting refused connections.
  let stopping = false;
  const server = createHttpServer({
    tls: certificates.initial,
    ...(certificates.alpnChallenges === undefined ? {} : { alpnChallenges: certificates.alpnChallenges }),
    limits,
    trustProxy: config.trustProxy,
    handleRequest: createRoutes({
      staticFiles: createStaticFiles(options.webRoot === undefined ? {} : { root: options.webRoot }),
      logger,
      isStopping: () => stopping,
      // With several nodes, a node that cannot reach Redis is unhealthy too (503).
      readiness: () =>
        redis !== null && !redis.healthy() ? { ready: false, reason: 'redis unreachable' } : certificates.status(),
    }),
    gateway,
    ...(turn === undefined ? {} : { turn: (stream, remote) => turn.server.handleStream(stream, remote) }),
    logger,
    metrics,
    clock,
  });

  let address: Awaited<ReturnType<typeof server.listen>>;
  let redirect: RedirectServer | undefined;
  /** A listener failed to start: what was started closes again before the error goes on. */
  const closeStarted = async () => {
    await gateway.shutdown();
    await server.close();
    await redis?.close();
    await redirect?.close();
    await turn?.server.close();
  };
  let httpPort: number | undefined;
  try {
    address = await server.listen(config.port, config.host);
    if (config.httpPort !== undefined) {
      redirect = createRedirectServer({
        httpsPort: address.port,
        http01Answer: (token) => certificates.http01Answer(token),
      });
      httpPort = (await redirect.listen(config.httpPort, config.host)).port;
    }
  } catch (error) {
    await closeStarted();
    throw error;
  }
  let metricsServer: MetricsServer | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsPort !== undefined) {
    metricsServer = createMetricsServer({ metrics, logger });
    try {
      const { port } = await metricsServer.listen(config.metricsPort, config.metricsHost);
      metricsUrl = `http://${hostForUrl(config.metricsHost ?? 'localhost')}:${port}/metrics`;
    } catch (error) {
      await closeStarted();
      throw error;
    }
    logger.info({ url: metricsUrl }, 'metrics listening');
  }
  httpsPort = address.port;
  // Listening first: a TLS-ALPN-01 validation connects to this very port.
  certificates.start((pair) => server.setCertificate(pair));
  const url = publicUrl(config.host, address.port);
  logger.info({ url }, 'listening');
  // The line operators (and tests) wait for: do not leave it in a buffer.
  logger.flush();

  let closing: Promise<void> | undefined;
  const close = () => {
    stopping = true;
    certificates.close();
    closing ??= shutdown({ server, gateway, metricsServer, logger, clock }).finally(() =>
      Promise.all([redirect?.close(), turn?.server.close(), redis?.close()]),
    );
    return closing;
  };
  return {
    url,
    port: address.port,
    metricsUrl,
    httpPort,
    reloadCertificates: () => certificates.reload(),
    close,
  };
}

async function shutdown(parts: {
  server: ReturnType<typeof createHttpServer>;
  gateway: SignalGateway;
  metricsServer: MetricsServer | undefined;
  logger: Logger;
  clock: Clock;
}): Promise<void> {
  const { server, gateway, metricsServer, logger, clock } = parts;
  const started = clock.now();
  // Still listening: the gateway answers new upgrades with 503 while it closes its sockets with 1012.
  logger.info('shutting down');
  const gatewayDone = await withTimeout(
    gateway.shutdown().then(() => true),
    GATEWAY_SHUTDOWN_BUDGET_MS,
    false,
  ).catch((error: unknown) => {
    logger.error({ err: error }, 'gateway shutdown failed');
    return false;
  });
  if (!gatewayDone) logger.warn('gateway did not finish closing its sockets in time; cutting them');
  // Only now does the listener close (and every connection left with it).
  await server.close();
  await metricsServer?.close();
  logger.info({ ms: Math.round(clock.now() - started) }, 'closed');
  const remaining = Math.max(0, CLOSE_BUDGET_MS - (clock.now() - started) - 100);
  await withTimeout(
    new Promise<void>((resolve) => logger.flush(() => resolve())),
    Math.min(LOG_FLUSH_BUDGET_MS, remaining),
    undefined,
  );
}

/** With --redis-url: the shared registry, connected; the process refuses to start without Redis. */
async function startRedisRegistry(
  config: Config,
  parts: { logger: Logger; metrics: PromMetrics; clock: Clock },
): Promise<RedisRegistry | null> {
  const { logger, metrics, clock } = parts;
  if (config.redisUrl === undefined) return null;
  const { limits } = config;
  const registry = new RedisRegistry({
    url: config.redisUrl,
    maxSessions: limits.maxSessions,
    queue: { frames: limits.queueFrames, bytes: limits.queueBytes },
    graceMs: limits.graceMs,
    sessionLifetimeMs: limits.sessionLifetimeMs,
    timings: {
      heartbeatMs: config.redisHeartbeatMs,
      nodeTimeoutMs: config.redisNodeTimeoutMs,
      sweepMs: config.redisSweepMs,
      sweepSlackMs: config.redisHeartbeatMs,
    },
    clock,
    logger,
  });
  try {
    await withTimeout(
      registry.start().then(() => true),
      10_000,
      false,
    ).then((ok) => {
      if (!ok) throw new Error('no answer within 10 s');
    });
  } catch (error) {
    await registry.close();
    // The URL may carry a password: never in the message.
    throw new Error(`cannot reach Redis (--redis-url): ${error instanceof Error ? error.message : String(error)}`);
  }
  metrics.observeRedis(() => registry.redisStats());
  logger.info({ event: 'redis-registry', node: registry.nodeId }, 'sessions shared through Redis');
  return registry;
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(resolve, ms, fallback);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The built-in STUN/TURN server, listening on its UDP port. */
async function startTurn(config: Config, parts: { logger: Logger; clock: Clock }) {
  const { logger, clock } = parts;
  const announced = await announce({ publicHost: config.publicHost, listenHost: config.host });
  // On a worker thread: a busy main event loop must not stall relayed media.
  const server = new ThreadedTurnServer({
    clock,
    logger,
    relayIp: announced.relayIp,
    credentialTtlMs: config.turnTtlMs,
    quotas: {
      allocationsPerCredential: config.turnAllocationsPerUser,
      allocationsPerSession: config.turnAllocationsPerSession,
      allocationsTotal: config.turnAllocationsTotal,
      permissionsPerAllocation: config.turnPermissions,
      channelsPerAllocation: config.turnChannels,
      bytesPerSecPerAllocation: config.turnBandwidth,
      answersPerSecPerAddress: config.turnAnswersPerSec,
    },
  });
  try {
    const { port } = await server.listenUdp(config.turnPort, config.host);
    logger.info({ udpPort: port }, 'turn listening');
    return { server, host: announced.host, udpPort: port, streams: true };
  } catch (error) {
    await server.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `the built-in STUN/TURN server cannot listen on UDP port ${config.turnPort} (${code ?? String(error)}); set --turn-port, or --builtin-turn false`,
    );
  }
}

/** The URL to print: localhost when bound to every interface, the host otherwise. */
export function publicUrl(host: string | undefined, port: number): string {
  const name = host === undefined || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `https://${hostForUrl(name)}:${port}/`;
}

function hostForUrl(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}
