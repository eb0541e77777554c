import type { Place } from './session-registry.js';

/** Why a session context ended. */
export type EndReason = 'hangup' | 'left' | 'timeout' | 'lifetime';

/** One context of one session (a session id may see several contexts over time). */
export interface ContextRef {
  readonly sessionId: string;
  readonly contextId: string;
}

/**
 * The session layer's lifecycle, reported after each registry step succeeded. Every method is
 * optional; an observer that throws is logged and never affects the session. Metrics count
 * contexts from it; a TURN server may revoke a context's credentials when it ends.
 */
export interface SessionObserver {
  /** A context was created by a join, or restored from a token after a restart (rule 7). */
  contextCreated?(context: ContextRef): void;
  /** The context is gone, its timers cleared; nothing about it is kept. */
  contextEnded?(context: ContextRef, reason: EndReason): void;
  /** A socket took the place (join, resume, take-over). */
  placeAttached?(context: ContextRef, place: Place): void;
  /** The place's socket dropped; the place is held for the grace period (rule 6). */
  placeHeld?(context: ContextRef, place: Place): void;
  /** The place was freed: a clean close, or its grace ran out. */
  placeFreed?(context: ContextRef, place: Place): void;
}

/** Only the context's ids, whatever else the value (a seat, a held place) carries. */
export function contextOf({ sessionId, contextId }: ContextRef): ContextRef {
  return { sessionId, contextId };
}

/** One observer that tells every given observer in turn; a throwing one is reported to `onError`. */
export function combineObservers(
  observers: readonly SessionObserver[],
  onError: (error: unknown) => void,
): Required<SessionObserver> {
  const each = (call: (o: SessionObserver) => void) => {
    for (const o of observers) {
      try {
        call(o);
      } catch (error) {
        onError(error);
      }
    }
  };
  return {
    contextCreated: (context) => each((o) => o.contextCreated?.(context)),
    contextEnded: (context, reason) => each((o) => o.contextEnded?.(context, reason)),
    placeAttached: (context, place) => each((o) => o.placeAttached?.(context, place)),
    placeHeld: (context, place) => each((o) => o.placeHeld?.(context, place)),
    placeFreed: (context, place) => each((o) => o.placeFreed?.(context, place)),
  };
}
