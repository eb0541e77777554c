import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { TokenClaims } from './resume-token.js';
import {
  type Admission,
  type ContextView,
  type EndResult,
  type HeldPlace,
  type JoinResult,
  type LeaveResult,
  type Place,
  type QueueLimits,
  type RegistryStats,
  type RelayResult,
  type ResumeResult,
  type Seat,
  type SessionRegistry,
  otherPlace,
} from './session-registry.js';

/** Frames waiting for a place that nobody is attached to. */
interface Waiting {
  /** Allocated on first use. */
  queue: string[] | null;
  queueBytes: number;
}

interface FreeRecord extends Waiting {
  readonly status: 'free';
}

/** An attached place is the seat itself: one record, not a seat and a copy of its fields. */
interface AttachedRecord extends Seat {
  readonly status: 'attached';
}

interface HeldRecord extends Waiting {
  readonly status: 'held';
  /** Who holds it; null while a restored place waits for whoever held it before the restart. */
  readonly holder: { readonly occupant: string; readonly gen: number } | null;
  readonly heldAt: number;
  /** The other place changed hands while this one was held: it must negotiate anew. */
  peerChanged: boolean;
}

type PlaceRecord = FreeRecord | AttachedRecord | HeldRecord;

interface ContextRecord {
  contextId: string;
  createdAt: number;
  /** Rebuilt from a token after a restart; its end is remembered so it is never restored again. */
  restored: boolean;
  /** The two places as fields, not an array: a waiting context is one object less. */
  place0: PlaceRecord;
  place1: PlaceRecord;
}

const placeOf = (ctx: ContextRecord, place: Place): PlaceRecord => (place === 0 ? ctx.place0 : ctx.place1);
const setPlace = (ctx: ContextRecord, place: Place, record: PlaceRecord): void => {
  if (place === 0) ctx.place0 = record;
  else ctx.place1 = record;
};

export interface MemoryRegistryOptions {
  maxSessions: number;
  /** How long an ended restored context is remembered (the session lifetime). */
  tombstoneMs?: number;
  /** Queue bounds per place. */
  queue?: QueueLimits;
  /** Its wall clock dates tombstones. */
  clock: Pick<Clock, 'wallNow'>;
}

const ID_BYTES = 8;
const POOL_BYTES = 4096;

/**
 * Every free place without queued frames shares this record (a waiting context's other place);
 * the first frame queued there gives the place a record of its own (#queueFor).
 */
const EMPTY_FREE: FreeRecord = Object.freeze({ status: 'free', queue: null, queueBytes: 0 });
const freePlace = (): FreeRecord => EMPTY_FREE;

/** The embedded single-node registry: contexts in a Map, nothing on disk. */
export class MemoryRegistry implements SessionRegistry {
  readonly #contexts = new Map<string, ContextRecord>();
  /** contextId -> wall-clock expiry; insertion order equals expiry order. */
  readonly #tombstones = new Map<string, number>();
  readonly #maxSessions: number;
  readonly #tombstoneMs: number;
  readonly #queue: QueueLimits;
  readonly #clock: Pick<Clock, 'wallNow'>;
  /** Random bytes for context and occupant ids, drawn in blocks: two ids per join. */
  #pool = Buffer.alloc(0);
  #poolOffset = 0;

  constructor(options: MemoryRegistryOptions) {
    this.#maxSessions = options.maxSessions;
    this.#tombstoneMs = options.tombstoneMs ?? 12 * 3600_000;
    this.#queue = options.queue ?? { frames: 128, bytes: 256 * 1024 };
    this.#clock = options.clock;
  }

  async join(sessionId: string, linkId: string, now: number): Promise<JoinResult> {
    const ctx = this.#contexts.get(sessionId);
    if (ctx === undefined) {
      if (this.#contexts.size >= this.#maxSessions) return { kind: 'busy' };
      const created: ContextRecord = {
        contextId: this.#randomId(),
        createdAt: now,
        restored: false,
        place0: freePlace(),
        place1: freePlace(),
      };
      this.#contexts.set(sessionId, created);
      return {
        kind: 'admitted',
        admission: this.#admit(sessionId, created, 0, this.#randomId(), 1, linkId, true),
        tookOver: false,
      };
    }
    const a = ctx.place0;
    const b = ctx.place1;
    let place: Place;
    let tookOver = false;
    if (a.status === 'free' || b.status === 'free') {
      place = a.status === 'free' ? 0 : 1;
    } else if (a.status === 'held' || b.status === 'held') {
      // Rule 1: a newcomer takes over a held place rather than being locked out by a ghost.
      place = a.status === 'held' && (b.status !== 'held' || a.heldAt <= b.heldAt) ? 0 : 1;
      tookOver = true;
    } else {
      return { kind: 'full' };
    }
    const other = placeOf(ctx, otherPlace(place));
    if (other.status === 'held') other.peerChanged = true;
    // A free place keeps its queue for the newcomer; a taken-over place's queue was for the ghost.
    if (tookOver) setPlace(ctx, place, freePlace());
    return {
      kind: 'admitted',
      admission: this.#admit(sessionId, ctx, place, this.#randomId(), 1, linkId, false),
      tookOver,
    };
  }

  async resume(
    claims: TokenClaims,
    linkId: string,
    options: { now: number; mayRestore: boolean },
  ): Promise<ResumeResult> {
    const { sessionId, contextId } = claims;
    let ctx = this.#contexts.get(sessionId);
    if (ctx === undefined) {
      this.#pruneTombstones();
      if (this.#tombstones.has(contextId) || !options.mayRestore) return { kind: 'ended' };
      if (this.#contexts.size >= this.#maxSessions) return { kind: 'busy' };
      // Rule 7: the context was lost in a restart, not ended: rebuild it around this place.
      // The other place waits, held, for its own participant's token.
      ctx = { contextId, createdAt: claims.createdAt, restored: true, place0: freePlace(), place1: freePlace() };
      setPlace(ctx, otherPlace(claims.place), {
        status: 'held',
        holder: null,
        heldAt: options.now,
        peerChanged: false,
        queue: null,
        queueBytes: 0,
      });
      this.#contexts.set(sessionId, ctx);
      const admission = this.#admit(sessionId, ctx, claims.place, claims.occupant, claims.gen + 1, linkId, true);
      return { kind: 'resumed', admission, replacedLink: null, restored: true, rejoined: false, otherChanged: false };
    }
    if (ctx.contextId !== contextId) return { kind: 'ended' };
    const place = placeOf(ctx, claims.place);
    const awaitingRestore = ctx.restored && place.status === 'held' && place.holder === null;
    const holder = place.status === 'attached' ? place : place.status === 'held' ? place.holder : null;
    let gen = claims.gen + 1;
    if (!awaitingRestore) {
      if (holder?.occupant !== claims.occupant) {
        if (place.status !== 'free') return { kind: 'full' };
        // The place was freed (its grace ran out): come back as a newcomer.
        const other = placeOf(ctx, otherPlace(claims.place));
        if (other.status === 'held') other.peerChanged = true;
        setPlace(ctx, claims.place, freePlace());
        const admission = this.#admit(sessionId, ctx, claims.place, this.#randomId(), 1, linkId, false);
        return { kind: 'resumed', admission, replacedLink: null, restored: false, rejoined: true, otherChanged: false };
      }
      if (holder.gen !== claims.gen) return { kind: 'stale' };
      gen = holder.gen + 1;
    }
    const replacedLink = place.status === 'attached' ? place.linkId : null;
    const otherChanged = place.status === 'held' && place.peerChanged;
    const admission = this.#admit(sessionId, ctx, claims.place, claims.occupant, gen, linkId, false);
    return { kind: 'resumed', admission, replacedLink, restored: false, rejoined: false, otherChanged };
  }

  relay(seat: Seat, text: string, bytes: number): RelayResult {
    const ctx = this.#current(seat);
    if (ctx === null) return { kind: 'stale' };
    const otherIndex = otherPlace(seat.place);
    const other = placeOf(ctx, otherIndex);
    if (other.status === 'attached') return { kind: 'deliver', link: other.linkId };
    // Rule 3: bounded FIFO; the newest frame is refused so the earlier ones (the offer) survive.
    if ((other.queue?.length ?? 0) >= this.#queue.frames || other.queueBytes + bytes > this.#queue.bytes)
      return { kind: 'queue-full' };
    // The shared empty free record is never written to: the place gets its own first.
    const waiting = other === EMPTY_FREE ? { status: 'free' as const, queue: null, queueBytes: 0 } : other;
    if (waiting !== other) setPlace(ctx, otherIndex, waiting);
    const queue = waiting.queue ?? [];
    queue.push(text);
    waiting.queue = queue;
    waiting.queueBytes += bytes;
    return { kind: 'queued' };
  }

  async leave(seat: Seat, mode: 'free' | 'hold', now: number): Promise<LeaveResult> {
    const ctx = this.#current(seat);
    if (ctx === null) return { kind: 'stale' };
    const mine = placeOf(ctx, seat.place);
    if (mine.status !== 'attached') return { kind: 'stale' };
    setPlace(
      ctx,
      seat.place,
      mode === 'free'
        ? freePlace()
        : {
            status: 'held',
            holder: { occupant: mine.occupant, gen: mine.gen },
            heldAt: now,
            peerChanged: false,
            queue: null,
            queueBytes: 0,
          },
    );
    return this.#settle(seat.sessionId, ctx, seat.place, mode === 'free' ? 'freed' : 'held');
  }

  async expire(held: HeldPlace): Promise<LeaveResult> {
    const ctx = this.#contexts.get(held.sessionId);
    if (ctx === undefined || ctx.contextId !== held.contextId) return { kind: 'stale' };
    const mine = placeOf(ctx, held.place);
    if (mine.status !== 'held' || (mine.holder?.occupant ?? null) !== held.occupant) return { kind: 'stale' };
    if (held.gen !== undefined && mine.holder?.gen !== held.gen) return { kind: 'stale' };
    setPlace(ctx, held.place, freePlace());
    return this.#settle(held.sessionId, ctx, held.place, 'freed');
  }

  async end(sessionId: string, contextId: string): Promise<EndResult> {
    const ctx = this.#contexts.get(sessionId);
    if (ctx === undefined || ctx.contextId !== contextId) return { kind: 'stale' };
    this.#contexts.delete(sessionId);
    if (ctx.restored) {
      this.#pruneTombstones();
      this.#tombstones.set(contextId, this.#clock.wallNow() + this.#tombstoneMs);
    }
    const links: string[] = [];
    for (const place of [ctx.place0, ctx.place1]) if (place.status === 'attached') links.push(place.linkId);
    return { kind: 'ended', links };
  }

  async peek(sessionId: string): Promise<ContextView | null> {
    const ctx = this.#contexts.get(sessionId);
    if (ctx === undefined) return null;
    return { contextId: ctx.contextId, createdAt: ctx.createdAt, places: [ctx.place0.status, ctx.place1.status] };
  }

  stats(): RegistryStats {
    let queuedFrames = 0;
    for (const ctx of this.#contexts.values()) {
      for (const place of [ctx.place0, ctx.place1])
        if (place.status !== 'attached') queuedFrames += place.queue?.length ?? 0;
    }
    return { sessions: this.#contexts.size, queuedFrames, tombstones: this.#tombstones.size };
  }

  #admit(
    sessionId: string,
    ctx: ContextRecord,
    placeIndex: Place,
    occupant: string,
    gen: number,
    linkId: string,
    created: boolean,
  ): Admission {
    const place = placeOf(ctx, placeIndex);
    const queued = place.status === 'attached' ? [] : (place.queue ?? []);
    const seat: AttachedRecord = {
      status: 'attached',
      sessionId,
      contextId: ctx.contextId,
      place: placeIndex,
      occupant,
      gen,
      createdAt: ctx.createdAt,
      linkId,
    };
    setPlace(ctx, placeIndex, seat);
    const other = placeOf(ctx, otherPlace(placeIndex));
    return {
      seat,
      created,
      other: other.status,
      otherLink: other.status === 'attached' ? other.linkId : null,
      queued,
    };
  }

  /** After a place was freed or held: drop the context when nobody is attached or held. */
  #settle(sessionId: string, ctx: ContextRecord, place: Place, kind: 'freed' | 'held'): LeaveResult {
    const other = placeOf(ctx, otherPlace(place));
    const dropped = kind === 'freed' && other.status === 'free';
    if (dropped) this.#contexts.delete(sessionId);
    return { kind, other: other.status, otherLink: other.status === 'attached' ? other.linkId : null, dropped };
  }

  /** The context a seat belongs to, if that seat's link still holds its place. */
  #current(seat: Seat): ContextRecord | null {
    const ctx = this.#contexts.get(seat.sessionId);
    if (ctx === undefined || ctx.contextId !== seat.contextId) return null;
    const mine = placeOf(ctx, seat.place);
    return mine.status === 'attached' && mine.linkId === seat.linkId ? ctx : null;
  }

  #randomId(): string {
    if (this.#poolOffset + ID_BYTES > this.#pool.length) {
      this.#pool = randomBytes(POOL_BYTES);
      this.#poolOffset = 0;
    }
    const id = this.#pool.toString('hex', this.#poolOffset, this.#poolOffset + ID_BYTES);
    this.#poolOffset += ID_BYTES;
    return id;
  }

  #pruneTombstones(): void {
    const now = this.#clock.wallNow();
    for (const [id, expiresAt] of this.#tombstones) {
      if (expiresAt > now) break;
      this.#tombstones.delete(id);
    }
  }
}
