import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ErrorCode } from '../shared/protocol/index.js';
import type { EndReason, SessionObserver } from './sessions/session-events.js';

/** What the signalling layers report; Prometheus behind a small interface. */
export interface Metrics {
  socketOpened(): void;
  socketClosed(): void;
  upgradeRefused(status: number): void;
  sessionStarted(): void;
  sessionEnded(reason: EndReason): void;
  frameRelayed(): void;
  frameQueued(): void;
  errorSent(code: ErrorCode): void;
}

/** Counts contexts from the session layer's lifecycle events. */
export function metricsObserver(metrics: Metrics): SessionObserver {
  return {
    contextCreated: () => metrics.sessionStarted(),
    contextEnded: (_context, reason) => metrics.sessionEnded(reason),
  };
}

/** Prometheus metrics, exposed by the HTTP layer at /metrics. */
export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #sockets = new Gauge({
    name: 'homecall_sockets',
    help: 'Open signalling sockets',
    registers: [this.registry],
  });
  readonly #refused = new Counter({
    name: 'homecall_upgrades_refused_total',
    help: 'WebSocket upgrades refused, by HTTP status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly #sessions = new Gauge({
    name: 'homecall_sessions',
    help: 'Live session contexts',
    registers: [this.registry],
  });
  readonly #ended = new Counter({
    name: 'homecall_sessions_ended_total',
    help: 'Session contexts ended, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #relayed = new Counter({
    name: 'homecall_frames_relayed_total',
    help: 'Frames relayed live',
    registers: [this.registry],
  });
  readonly #queued = new Counter({
    name: 'homecall_frames_queued_total',
    help: 'Frames queued for an absent participant',
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: 'homecall_errors_sent_total',
    help: 'Error frames sent, by code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  /** The session registry's sizes and the session timers, read when scraped (the soak checks they return to 0). */
  watchRegistry(source: {
    stats(): { sessions: number; tombstones: number; queuedFrames: number };
    timers(): number;
  }): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('homecall_registry_contexts', 'Session contexts in the registry', () => source.stats().sessions);
    gauge(
      'homecall_registry_tombstones',
      'Ended sessions remembered (SESSION_ENDED) until their lifetime passes',
      () => source.stats().tombstones,
    );
    gauge(
      'homecall_registry_queued_frames',
      'Frames queued for absent participants',
      () => source.stats().queuedFrames,
    );
    gauge('homecall_session_timers', 'Pending session timers (grace, alone, lifetime)', source.timers);
  }

  /** The log sink's dropped lines and backlog (X8), read from it when scraped. */
  watchLogSink(source: { readonly droppedTotal: number; readonly bufferedBytes: number }): void {
    new Gauge({
      name: 'homecall_log_buffered_bytes',
      help: 'Log bytes waiting for stdout',
      registers: [this.registry],
      collect() {
        this.set(source.bufferedBytes);
      },
    });
    new Counter({
      name: 'homecall_log_lines_dropped_total',
      help: 'Log lines dropped because stdout was stalled, closed or full',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source.droppedTotal);
      },
    });
  }

  constructor({ collectDefaults = true }: { collectDefaults?: boolean } = {}) {
    if (collectDefaults) collectDefaultMetrics({ register: this.registry });
  }

  socketOpened() {
    this.#sockets.inc();
  }
  socketClosed() {
    this.#sockets.dec();
  }
  upgradeRefused(status: number) {
    this.#refused.inc({ status: String(status) });
  }
  sessionStarted() {
    this.#sessions.inc();
  }
  sessionEnded(reason: EndReason) {
    this.#sessions.dec();
    this.#ended.inc({ reason });
  }
  frameRelayed() {
    this.#relayed.inc();
  }
  frameQueued() {
    this.#queued.inc();
  }
  errorSent(code: ErrorCode) {
    this.#errors.inc({ code });
  }

  /** Exposes a shared registry's Redis counters (several nodes), read at each scrape. */
  observeRedis(read: () => { crossNodeFrames: number; roundTrips: number; errors: number }): void {
    const counter = (name: string, help: string, pick: (s: ReturnType<typeof read>) => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(pick(read()));
        },
      });
    counter(
      'homecall_cross_node_frames_total',
      'Frames relayed to a participant on another node',
      (s) => s.crossNodeFrames,
    );
    counter('homecall_redis_round_trips_total', 'Commands and scripts sent to Redis', (s) => s.roundTrips);
    counter('homecall_redis_errors_total', 'Redis commands that failed', (s) => s.errors);
  }

  /** The text exposition for /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
  get contentType(): string {
    return this.registry.contentType;
  }
}
