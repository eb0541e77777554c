import type { Limits } from '../../shared/protocol/index.js';
import type { Clock } from '../clock.js';
import { type Logger, TaggedLog } from '../logger.js';
import { aloneTimeouts, ContextTimers, type ContextTimersDeps, lifetimeCaps } from './context-timers.js';
import type { ContextRef, EndReason, SessionObserver } from './session-events.js';

export interface LiveContextsOptions {
  clock: Clock;
  limits: Pick<Limits, 'aloneMs' | 'graceMs' | 'sessionLifetimeMs'>;
  logger: Logger;
  /** The log tag of a session id (a keyed hash; the id itself never reaches a log). */
  tagSession: (sessionId: string) => string;
  events: Required<SessionObserver>;
}

/**
 * One live context: its timers (it is its own ContextRef) and its session's log tag, in one
 * object. The tag is made once per context (an HMAC per log line showed in profiles); the
 * TaggedLog around it is made when a line is logged, not kept.
 */
class LiveContext extends ContextTimers {
  constructor(
    context: ContextRef,
    deps: ContextTimersDeps,
    readonly tag: string,
  ) {
    super(context, deps);
  }

  get timers(): ContextTimers {
    return this;
  }
}

/**
 * What this node keeps about each live context besides the registry: its timers and its
 * logger. One record per session id, replaced when a new context takes the id.
 */
export class LiveContexts {
  readonly #options: LiveContextsOptions;
  readonly #live = new Map<string, LiveContext>();
  /**
   * What every context's timers share, one object for all: every alone timeout on one timer,
   * every lifetime cap on one timer for those in deadline order.
   */
  readonly #timerDeps: Required<ContextTimersDeps>;

  constructor(options: LiveContextsOptions) {
    this.#options = options;
    this.#timerDeps = {
      clock: options.clock,
      limits: options.limits,
      aloneQueue: aloneTimeouts(options.clock, options.limits.aloneMs),
      lifetimeQueue: lifetimeCaps(options.clock, options.limits.sessionLifetimeMs),
    };
  }

  /** Live contexts with a record (each holds that context's timers). */
  get size(): number {
    return this.#live.size;
  }

  /** A context was created or restored: report it and return its (fresh) timers. */
  started(context: ContextRef): ContextTimers {
    this.#options.events.contextCreated({ sessionId: context.sessionId, contextId: context.contextId });
    return this.timersOf(context);
  }

  /** The timers of this context; a record of an older context under the same id is cleared first. */
  timersOf(context: ContextRef): ContextTimers {
    return this.#recordOf(context).timers;
  }

  /** The timers of whatever context is live under this id. */
  currentTimers(sessionId: string): ContextTimers | undefined {
    return this.#live.get(sessionId)?.timers;
  }

  /** The session's logger (its lines carry the session's tag, never its id). */
  logOf(sessionId: string): TaggedLog {
    const live = this.#live.get(sessionId);
    return new TaggedLog(this.#options.logger, live?.tag ?? this.#options.tagSession(sessionId));
  }

  /** The context is gone: clear its timers, report it, log it. */
  forget(context: ContextRef, reason: EndReason): void {
    const { sessionId, contextId } = context;
    const log = this.logOf(sessionId);
    this.#live.get(sessionId)?.timers.clear();
    this.#live.delete(sessionId);
    this.#options.events.contextEnded({ sessionId, contextId }, reason);
    log.info({ event: 'ended', reason });
  }

  /** The context ended on another node (which reported it): only clear its timers here. */
  discard(context: ContextRef): void {
    const live = this.#live.get(context.sessionId);
    if (live === undefined || live.timers.context.contextId !== context.contextId) return;
    live.timers.clear();
    this.#live.delete(context.sessionId);
    new TaggedLog(this.#options.logger, live.tag).info({ event: 'ended', reason: 'elsewhere' });
  }

  /** Cancels every timer (server shutdown). */
  stop(): void {
    for (const live of this.#live.values()) live.timers.clear();
    this.#live.clear();
  }

  #recordOf(context: ContextRef): LiveContext {
    const { sessionId, contextId } = context;
    let live = this.#live.get(sessionId);
    if (live === undefined || live.timers.context.contextId !== contextId) {
      live?.timers.clear();
      live = new LiveContext({ sessionId, contextId }, this.#timerDeps, this.#options.tagSession(sessionId));
      this.#live.set(sessionId, live);
    }
    return live;
  }
}
