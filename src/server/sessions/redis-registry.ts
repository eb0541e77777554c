import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import { RedisNode, type RedisNodeTimings, type Reply, type SeatMessage, toScript } from './redis-node.js';
import { CONTEXTS, OWNS, RESTORE, TOMBSTONE } from './redis-node-scripts.js';
import { END, EXPIRE, JOIN, LEAVE, PEEK, RESUME, ROUTE } from './redis-scripts.js';
import type { TokenClaims } from './resume-token.js';
import {
  type Admission,
  type ContextView,
  type EndResult,
  type HeldPlace,
  type JoinResult,
  type LeaveResult,
  type Place,
  type PlaceStatus,
  type QueueLimits,
  type RegistryStats,
  type RelayResult,
  type RemoteEvent,
  type ResumeResult,
  type Seat,
  type SessionRegistry,
  otherPlace,
} from './session-registry.js';

export interface RedisRegistryOptions {
  url: string;
  /** Random per process unless given. */
  nodeId?: string;
  /** Key prefix; `hc:` by default (tests give each registry its own). */
  prefix?: string;
  maxSessions: number;
  queue: QueueLimits;
  graceMs: number;
  sessionLifetimeMs: number;
  timings: RedisNodeTimings;
  clock: Clock;
  logger: Logger;
  /** Replaces Redis TIME (model tests on a fake clock). */
  fakeNow?: () => number;
}

export interface RedisRegistryStats {
  crossNodeFrames: number;
  roundTrips: number;
  errors: number;
}

const S = {
  join: toScript(JOIN),
  resume: toScript(RESUME),
  route: toScript(ROUTE),
  leave: toScript(LEAVE),
  expire: toScript(EXPIRE),
  end: toScript(END),
  peek: toScript(PEEK),
  restore: toScript(RESTORE),
  owns: toScript(OWNS),
  tombstone: toScript(TOMBSTONE),
  contexts: toScript(CONTEXTS),
};

/** Contexts checked per script call when a node re-checks what it may have missed. */
const CHECK_BATCH = 200;
/** Admissions between two prunings of the contexts a node knows. */
const PRUNE_EVERY = 1024;

const id = () => randomBytes(8).toString('hex');
const links = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);
const link = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The shared registry for several nodes: every state change is one Lua script in Redis; each
 * node keeps the seats of its own sockets in memory, so a frame between two participants on
 * the same node is delivered without a Redis round trip. Frames to a participant on another
 * node go through that node's channel, in order, with a per-sender sequence number.
 */
export class RedisRegistry implements SessionRegistry {
  readonly #o: RedisRegistryOptions;
  readonly #node: RedisNode;
  readonly #ttl: number;
  /** linkId -> seat, for every socket of this node that holds a place. */
  readonly #seats = new Map<string, Seat>();
  /** sessionId -> the local link of each place. */
  readonly #sessions = new Map<string, [string | null, string | null]>();
  /** Held places this node saw drop, with their deadline (restored after Redis loses data). */
  readonly #holds = new Map<string, { seat: Seat; until: number }>();
  /**
   * contextId -> wall-clock expiry of contexts this node ended (re-asserted after data loss), in
   * order of expiry.
   */
  readonly #tombstones = new Map<string, number>();
  /** Next sequence number per sending link, and the last one seen per remote sender. */
  readonly #seq = new Map<string, number>();
  /** Receiving link -> the sending link of its last cross-node frame, and that frame's number. */
  readonly #seen = new Map<string, { from: string; seq: number }>();
  /**
   * contextId -> its session id and wall-clock end of life, for every context this node admitted
   * a seat of and has not heard end: what it re-checks after missing messages (a cut subscriber).
   */
  readonly #known = new Map<string, { sessionId: string; until: number }>();
  /**
   * contextId -> wall-clock expiry, for contexts heard ended before this node admitted a seat of
   * them: a context's end (the subscriber connection) can overtake this node's own join or
   * resume reply (the command connection). Such an admission is ended at once (see #admitted).
   */
  readonly #endedEarly = new Map<string, number>();
  #admissions = 0;
  #recheck: TimerHandle | null = null;
  #listener: ((event: RemoteEvent) => void) | null = null;
  readonly #endedListeners: Array<(contextId: string) => void> = [];
  readonly #stats = { crossNodeFrames: 0, duplicates: 0 };

  constructor(options: RedisRegistryOptions) {
    this.#o = options;
    this.#ttl = options.sessionLifetimeMs + options.graceMs * 2;
    this.#node = new RedisNode({
      url: options.url,
      nodeId: options.nodeId ?? id(),
      prefix: options.prefix ?? 'hc:',
      clock: options.clock,
      logger: options.logger,
      timings: options.timings,
      graceMs: options.graceMs,
      fakeNow: options.fakeNow,
      onMessage: (message) => this.#receive(message),
      onResync: (reason) => this.#resync(reason),
      onContextEnded: (contextId) => this.#contextEnded(contextId),
    });
  }

  get nodeId(): string {
    return this.#node.nodeId;
  }

  start(): Promise<void> {
    return this.#node.start();
  }

  close(): Promise<void> {
    if (this.#recheck !== null) this.#o.clock.clearTimeout(this.#recheck);
    this.#recheck = null;
    return this.#node.stop();
  }

  healthy(): boolean {
    return this.#node.healthy;
  }

  subscribe(listener: (event: RemoteEvent) => void): void {
    this.#listener = listener;
  }

  /**
   * Every context that ended on another node or in the sweeper (hangup, last place freed), of
   * which this node admitted a seat, and those found ended after this node missed the news (a
   * cut subscriber, a Redis restart): the composition root revokes their TURN credentials. A
   * context this node's own step ended is not reported here: its end reaches the session
   * service's observers. A context id may be reported twice.
   */
  onContextEnded(listener: (contextId: string) => void): void {
    this.#endedListeners.push(listener);
  }

  /**
   * Whether this node heard the context end before it admitted a seat of it (a join reply
   * overtaken by the end): the TURN credentials minted for that admission are revoked at once.
   */
  endedBeforeAdmission(contextId: string): boolean {
    return this.#endedEarly.has(contextId);
  }

  redisStats(): RedisRegistryStats {
    return { crossNodeFrames: this.#stats.crossNodeFrames, ...this.#node.stats };
  }

  async join(sessionId: string, linkId: string, _now: number): Promise<JoinResult> {
    const t = this.#o.timings;
    const r = await this.#guard('join', () =>
      this.#node.run(S.join, [
        sessionId,
        linkId,
        this.nodeId,
        id(),
        id(),
        this.#o.maxSessions,
        this.#ttl,
        t.nodeTimeoutMs,
        this.#o.graceMs,
      ]),
    );
    if (r === null || r.k === 'busy') return { kind: 'busy' };
    if (r.k === 'full') return { kind: 'full' };
    return { kind: 'admitted', admission: this.#admitted(sessionId, linkId, r), tookOver: r.tookOver === true };
  }

  async resume(
    claims: TokenClaims,
    linkId: string,
    options: { now: number; mayRestore: boolean },
  ): Promise<ResumeResult> {
    const r = await this.#guard('resume', () =>
      this.#node.run(S.resume, [
        claims.sessionId,
        claims.contextId,
        claims.place,
        claims.occupant,
        claims.gen,
        claims.issuedAt,
        claims.createdAt,
        linkId,
        this.nodeId,
        options.mayRestore ? '1' : '0',
        id(),
        this.#o.maxSessions,
        this.#ttl,
        this.#o.graceMs,
      ]),
    );
    if (r === null) return { kind: 'busy' };
    if (r.k !== 'resumed') return { kind: r.k as 'full' | 'ended' | 'stale' | 'busy' };
    this.#holds.delete(`${claims.sessionId}|${claims.place}`);
    const replacedLink = link(r.replacedLink);
    if (replacedLink !== null) this.#forgetSeat(replacedLink);
    return {
      kind: 'resumed',
      admission: this.#admitted(claims.sessionId, linkId, r),
      replacedLink,
      restored: r.restored === true,
      rejoined: r.rejoined === true,
      otherChanged: r.otherChanged === true,
    };
  }

  relay(seat: Seat, text: string, bytes: number): RelayResult | Promise<RelayResult> {
    const pair = this.#sessions.get(seat.sessionId);
    if (pair === undefined || pair[seat.place] !== seat.linkId) return { kind: 'stale' };
    // The hot path: both places on this node, so the frame never leaves memory.
    const peerLink = pair[otherPlace(seat.place)];
    if (peerLink !== null && this.#seats.get(peerLink)?.contextId === seat.contextId)
      return { kind: 'deliver', link: peerLink };
    return this.#route(seat, text, bytes);
  }

  async #route(seat: Seat, text: string, bytes: number): Promise<RelayResult> {
    const seq = (this.#seq.get(seat.linkId) ?? 0) + 1;
    this.#seq.set(seat.linkId, seq);
    const q = this.#o.queue;
    const r = await this.#guard('relay', () =>
      this.#node.run(S.route, [
        seat.sessionId,
        seat.contextId,
        seat.place,
        seat.linkId,
        this.nodeId,
        text,
        bytes,
        q.frames,
        q.bytes,
        this.#ttl,
        this.#o.graceMs,
        seq,
      ]),
    );
    // Redis is away: the frame cannot be kept, and the sender is told so (never lost silently).
    if (r === null) return { kind: 'queue-full' };
    if (r.k === 'forwarded') this.#stats.crossNodeFrames += 1;
    if (r.k === 'deliver') return { kind: 'deliver', link: String(r.link) };
    return { kind: r.k as 'forwarded' | 'queued' | 'queue-full' | 'stale' };
  }

  async leave(seat: Seat, mode: 'free' | 'hold', _now: number): Promise<LeaveResult> {
    this.#forgetSeat(seat.linkId);
    const r = await this.#node.run(S.leave, [
      seat.sessionId,
      seat.contextId,
      seat.place,
      seat.linkId,
      this.nodeId,
      mode,
      this.#o.graceMs,
    ]);
    if (r.k === 'stale') return { kind: 'stale' };
    if (r.dropped === true) this.#known.delete(seat.contextId);
    if (r.k === 'held')
      this.#holds.set(`${seat.sessionId}|${seat.place}`, {
        seat,
        until: this.#o.clock.wallNow() + this.#o.graceMs,
      });
    return this.#leaveResult(r);
  }

  async expire(held: HeldPlace): Promise<LeaveResult> {
    this.#holds.delete(`${held.sessionId}|${held.place}`);
    const r = await this.#node.run(S.expire, [
      held.sessionId,
      held.contextId,
      held.place,
      held.occupant ?? '',
      this.nodeId,
      held.gen ?? '',
    ]);
    if (r.dropped === true) this.#known.delete(held.contextId);
    return r.k === 'stale' ? { kind: 'stale' } : this.#leaveResult(r);
  }

  async end(sessionId: string, contextId: string, reason?: string): Promise<EndResult> {
    const r = await this.#node.run(S.end, [sessionId, contextId, this.nodeId, this.#o.sessionLifetimeMs, reason ?? '']);
    if (r.k === 'stale') return { kind: 'stale' };
    // Redis tells the other nodes; this one is told by the reply (the caller revokes what it minted).
    this.#known.delete(contextId);
    this.#pruneTombstones();
    // Re-inserted at the end, so the map stays in order of expiry (see #pruneTombstones).
    this.#tombstones.delete(contextId);
    this.#tombstones.set(contextId, this.#o.clock.wallNow() + this.#o.sessionLifetimeMs);
    const ended = links(r.links);
    for (const l of ended) this.#forgetSeat(l);
    return { kind: 'ended', links: ended };
  }

  async peek(sessionId: string): Promise<ContextView | null> {
    const r = await this.#node.run(S.peek, [sessionId]);
    if (r.k !== 'view') return null;
    const places = r.places as [string, string];
    return {
      contextId: String(r.ctx),
      createdAt: Number(r.created),
      places: [places[0] as PlaceStatus, places[1] as PlaceStatus],
    };
  }

  stats(): RegistryStats {
    return { sessions: this.#sessions.size, queuedFrames: 0, tombstones: this.#tombstones.size };
  }

  #admitted(sessionId: string, linkId: string, r: Reply): Admission {
    const seat: Seat = {
      sessionId,
      contextId: String(r.ctx),
      place: Number(r.place) as Place,
      occupant: String(r.occ),
      gen: Number(r.gen),
      createdAt: Number(r.created),
      linkId,
    };
    this.#seats.set(linkId, seat);
    const pair = this.#sessions.get(sessionId) ?? [null, null];
    const stale = pair[seat.place];
    if (stale !== null && stale !== linkId) this.#seats.delete(stale);
    pair[seat.place] = linkId;
    this.#sessions.set(sessionId, pair);
    this.#seq.set(linkId, 0);
    if (this.#endedEarly.has(seat.contextId)) {
      // The end overtook this reply, and the end's message to this socket found no seat yet: once
      // the caller has admitted it (the `joined` it sends), the socket hears the hangup, as it
      // would have on one node.
      this.#o.clock.setTimeout(() => {
        if (this.#seats.get(linkId) !== seat) return;
        this.#forgetSeat(linkId);
        this.#emit({ kind: 'ended', link: linkId, reason: undefined });
      }, 0);
    } else {
      this.#known.set(seat.contextId, {
        sessionId,
        until: seat.createdAt + this.#o.sessionLifetimeMs + this.#o.graceMs * 2,
      });
    }
    this.#admissions += 1;
    if (this.#admissions % PRUNE_EVERY === 0) this.#pruneKnown();
    return {
      seat,
      created: r.fresh === true,
      other: r.other as PlaceStatus,
      otherLink: link(r.otherLink),
      queued: links(r.queued),
    };
  }

  #leaveResult(r: Reply): LeaveResult {
    return {
      kind: r.k as 'freed' | 'held',
      other: r.other as PlaceStatus,
      otherLink: link(r.otherLink),
      dropped: r.dropped === true,
    };
  }

  #forgetSeat(linkId: string): void {
    const seat = this.#seats.get(linkId);
    this.#seats.delete(linkId);
    this.#seq.delete(linkId);
    this.#seen.delete(linkId);
    if (seat === undefined) return;
    const pair = this.#sessions.get(seat.sessionId);
    if (pair === undefined || pair[seat.place] !== linkId) return;
    pair[seat.place] = null;
    if (pair[0] === null && pair[1] === null) this.#sessions.delete(seat.sessionId);
  }

  /** Runs a step that may be refused while Redis is away: `null` then, with a clear log line. */
  async #guard(step: string, run: () => Promise<Reply>): Promise<Reply | null> {
    try {
      return await run();
    } catch (error) {
      this.#o.logger.warn(
        { event: 'redis-unavailable', step, err: error instanceof Error ? error.message : String(error) },
        'Redis unavailable: step refused',
      );
      return null;
    }
  }

  #receive(m: SeatMessage): void {
    const seat = this.#seats.get(m.l);
    if (seat === undefined) return;
    switch (m.t) {
      case 'frame': {
        if (m.s !== seat.sessionId || m.c !== seat.contextId) return;
        // Per-sender order is the channel's; the sequence number drops anything seen twice. Numbers
        // restart with each sending link (a later occupant, a later context of the same id), and a
        // superseded link can no longer route, so only the last sender of each receiver matters.
        const last = this.#seen.get(m.l);
        if (last !== undefined && last.from === m.f && m.q <= last.seq) {
          this.#stats.duplicates += 1;
          return;
        }
        this.#seen.set(m.l, { from: m.f, seq: m.q });
        return this.#emit({ kind: 'frame', link: m.l, text: m.x });
      }
      case 'peer':
        if (m.s !== seat.sessionId || m.c !== seat.contextId) return;
        return this.#emit({ kind: 'peer', link: m.l, state: m.st });
      case 'ended':
        if (m.s !== seat.sessionId) return;
        this.#forgetSeat(m.l);
        return this.#emit({ kind: 'ended', link: m.l, reason: m.x === '' ? undefined : m.x });
      case 'lost':
        this.#forgetSeat(m.l);
        return this.#emit({ kind: 'lost', link: m.l });
    }
  }

  #emit(event: RemoteEvent): void {
    this.#listener?.(event);
  }

  #contextEnded(contextId: string): void {
    // Every node that hears an end admitted a seat of it (the `seen` list): one it does not know
    // yet is a join or resume reply still on its way (or an end heard twice, kept as long).
    if (!this.#known.delete(contextId))
      this.#endedEarly.set(contextId, this.#o.clock.wallNow() + this.#o.sessionLifetimeMs + this.#o.graceMs * 2);
    for (const listener of this.#endedListeners) listener(contextId);
  }

  #pruneKnown(): void {
    const wall = this.#o.clock.wallNow();
    for (const [contextId, known] of this.#known) if (known.until <= wall) this.#known.delete(contextId);
    for (const [contextId, until] of this.#endedEarly) if (until <= wall) this.#endedEarly.delete(contextId);
  }

  /**
   * Re-checks every context this node knows in Redis and reports those that ended meanwhile.
   * Those gone just after Redis lost its data may still be restored by a resume (rule 7): they
   * are checked again once that window (grace) has passed.
   */
  async #checkContexts(): Promise<void> {
    this.#pruneKnown();
    const entries = [...this.#known];
    let unsure = false;
    for (let i = 0; i < entries.length; i += CHECK_BATCH) {
      const batch = entries.slice(i, i + CHECK_BATCH);
      const r = await this.#node.run(
        S.contexts,
        [this.#o.graceMs * 2, ...batch.flatMap(([contextId, known]) => [known.sessionId, contextId])],
        { internal: true },
      );
      const states = links(r.states);
      batch.forEach(([contextId], j) => {
        if (states[j] === 'ended') this.#contextEnded(contextId);
        else if (states[j] === 'unsure') unsure = true;
      });
    }
    if (unsure && this.#recheck === null) {
      this.#recheck = this.#o.clock.setTimeout(() => {
        this.#recheck = null;
        this.#checkContexts().catch((error: unknown) =>
          this.#o.logger.warn({ err: error, event: 'redis-context-check-failed' }),
        );
      }, this.#o.graceMs * 2);
    }
  }

  /**
   * After a reconnect or being declared dead: every local seat Redis no longer gives this node
   * is closed, so its client resumes. After a data loss: re-assert tombstones, then every seat
   * and hold this node knows, so calls carry on.
   */
  async #resync(reason: 'reconnected' | 'epoch' | 'reaped'): Promise<void> {
    const internal = { internal: true };
    // Ends this node may have missed come first: its TURN credentials stop before its sockets
    // of those contexts close. After a data loss, once this node restored what it holds.
    if (reason !== 'epoch') await this.#checkContexts();
    if (reason === 'epoch') {
      this.#pruneTombstones();
      const wall = this.#o.clock.wallNow();
      for (const [contextId, until] of this.#tombstones) {
        await this.#node.run(S.tombstone, [contextId, Math.max(1, until - wall)], internal);
      }
    }
    for (const seat of [...this.#seats.values()]) {
      const r =
        reason === 'epoch'
          ? await this.#restore(seat, 'attached', 0)
          : await this.#node.run(
              S.owns,
              [
                seat.sessionId,
                seat.contextId,
                seat.place,
                seat.linkId,
                this.nodeId,
                this.#o.timings.nodeTimeoutMs * 10,
              ],
              internal,
            );
      if (r.k === 'ended') {
        this.#forgetSeat(seat.linkId);
        this.#emit({ kind: 'ended', link: seat.linkId, reason: undefined });
      } else if (r.k !== 'ok') {
        this.#forgetSeat(seat.linkId);
        this.#emit({ kind: 'lost', link: seat.linkId });
      }
    }
    if (reason === 'epoch') {
      const wall = this.#o.clock.wallNow();
      for (const [key, hold] of this.#holds) {
        if (hold.until <= wall) this.#holds.delete(key);
        else await this.#restore(hold.seat, 'held', hold.until - wall);
      }
      await this.#checkContexts();
    }
  }

  #restore(seat: Seat, state: 'attached' | 'held', remainingMs: number): Promise<Reply> {
    return this.#node.run(
      S.restore,
      [
        seat.sessionId,
        seat.contextId,
        seat.place,
        seat.occupant,
        seat.gen,
        seat.createdAt,
        seat.linkId,
        this.nodeId,
        this.#ttl,
        this.#o.graceMs,
        state,
        remainingMs,
      ],
      { internal: true },
    );
  }

  /**
   * Drops the expired tombstones from the front: they are inserted in order of expiry (one
   * lifetime after the end), so the first live one ends the walk and a hangup costs O(1)
   * amortised, not a walk over every context ended within the lifetime. Should the wall clock
   * step back, an entry behind a later one waits for it: kept longer, never dropped early.
   */
  #pruneTombstones(): void {
    const wall = this.#o.clock.wallNow();
    for (const [contextId, until] of this.#tombstones) {
      if (until > wall) return;
      this.#tombstones.delete(contextId);
    }
  }
}
