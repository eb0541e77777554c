/**
 * The session registry: where session contexts live. Every method is one atomic step on one
 * context, async so that a Redis implementation (Lua scripts) can stand beside the in-memory
 * one. It knows places, occupants and queues; the protocol rules (who is told what, timers,
 * error codes) live once, above it, in SessionService.
 */
import type { TokenClaims } from './resume-token.js';

export type Place = 0 | 1;
export const otherPlace = (place: Place): Place => (place === 0 ? 1 : 0);

/** `held`: its socket dropped abnormally and the place waits for a resume (grace). */
export type PlaceStatus = 'free' | 'attached' | 'held';

/** What a socket holds after it was admitted: its place in one context. */
export interface Seat {
  readonly sessionId: string;
  readonly contextId: string;
  readonly place: Place;
  readonly occupant: string;
  readonly gen: number;
  /** Wall-clock ms of the context's creation. */
  readonly createdAt: number;
  readonly linkId: string;
}

/** A place held for grace, as its grace timer names it. */
export interface HeldPlace {
  readonly sessionId: string;
  readonly contextId: string;
  readonly place: Place;
  /** Who holds it; null for a restored context's place that waits for its own participant (rule 7). */
  readonly occupant: string | null;
  /**
   * The generation of the seat that dropped, when known: a grace timer of an earlier hold by the
   * same occupant (on a node it has since left) must not free a newer one.
   */
  readonly gen?: number;
}

/** A successful join or resume. */
export interface Admission {
  seat: Seat;
  /** Whether the context was created (or restored) by this step. */
  created: boolean;
  other: PlaceStatus;
  /** The link attached to the other place, if any. */
  otherLink: string | null;
  /** Frames queued for this place, oldest first; removed from the registry by this step. */
  queued: string[];
}

export type JoinResult =
  | { kind: 'admitted'; admission: Admission; tookOver: boolean }
  | { kind: 'full' }
  | { kind: 'busy' };

export type ResumeResult =
  | {
      kind: 'resumed';
      admission: Admission;
      /** A link that still held the place (half-open socket); it must be closed. */
      replacedLink: string | null;
      /** The context was gone after a restart and was rebuilt from the token (rule 7). */
      restored: boolean;
      /** The place had been freed meanwhile, so the resumer came back as a newcomer. */
      rejoined: boolean;
      /** The other place got a new occupant while this one was away: negotiate anew. */
      otherChanged: boolean;
    }
  | { kind: 'full' }
  | { kind: 'ended' }
  | { kind: 'stale' }
  | { kind: 'busy' };

export type RelayResult =
  | { kind: 'deliver'; link: string }
  /** Sent to the participant's node (several nodes): that node delivers it. */
  | { kind: 'forwarded' }
  | { kind: 'queued' }
  | { kind: 'queue-full' }
  | { kind: 'stale' };

export type LeaveResult =
  | {
      kind: 'freed' | 'held';
      other: PlaceStatus;
      otherLink: string | null;
      /** Nobody is attached or held any more: the context is gone. */
      dropped: boolean;
    }
  | { kind: 'stale' };

export type EndResult = { kind: 'ended'; links: string[] } | { kind: 'stale' };

/**
 * What a shared registry reports about this node's sockets when another node (or the sweeper)
 * changed their session: a frame to deliver, the peer's new state, the session's end, or a
 * place this node no longer holds (its socket must close so the client resumes).
 */
export type RemoteEvent =
  | { kind: 'frame'; link: string; text: string }
  | { kind: 'peer'; link: string; state: 'joined' | 'away' | 'back' | 'left' }
  | { kind: 'ended'; link: string; reason: string | undefined }
  | { kind: 'lost'; link: string };

export interface ContextView {
  contextId: string;
  createdAt: number;
  places: [PlaceStatus, PlaceStatus];
}

export interface QueueLimits {
  frames: number;
  bytes: number;
}

export interface RegistryStats {
  sessions: number;
  queuedFrames: number;
  tombstones: number;
}

export interface SessionRegistry {
  /** Rule 1: create the context, take the free place, or take over a held place. */
  join(sessionId: string, linkId: string, now: number): Promise<JoinResult>;
  /** Rules 2 and 7: re-attach the place a token names, or restore a lost context. */
  resume(claims: TokenClaims, linkId: string, options: { now: number; mayRestore: boolean }): Promise<ResumeResult>;
  /**
   * Rule 3: route a frame to the other place, or queue it there. The hot path: an
   * implementation that can answer synchronously (in memory) may return the result itself.
   */
  relay(seat: Seat, text: string, bytes: number): RelayResult | Promise<RelayResult>;
  /** Rule 6: the seat's socket closed; free its place (clean close) or hold it (drop). */
  leave(seat: Seat, mode: 'free' | 'hold', now: number): Promise<LeaveResult>;
  /** Rule 6: a held place's grace ran out; frees it if it is still held by the same occupant. */
  expire(held: HeldPlace): Promise<LeaveResult>;
  /** Rule 5: drop the context and its queues; returns the links still attached. */
  end(sessionId: string, contextId: string, reason?: string): Promise<EndResult>;
  peek(sessionId: string): Promise<ContextView | null>;
  stats(): RegistryStats;
  /** A registry shared by several nodes reports what others changed (RedisRegistry). */
  subscribe?(listener: (event: RemoteEvent) => void): void;
}
