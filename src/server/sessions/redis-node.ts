import { createHash, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { type Clock, type TimerHandle, systemClock } from '../clock.js';
import { DeadlineQueue } from '../deadline-queue.js';
import type { Logger } from '../logger.js';
import { HEARTBEAT, SWEEP } from './redis-node-scripts.js';

/** A script reply (cjson). `k` names the outcome. */
export type Reply = { k: string } & Record<string, unknown>;

/** What one node sends another over its channel. */
export type BusMessage =
  /** `f` is the sending link and `q` its sequence number (1, 2, ... from the link's admission). */
  | { t: 'frame'; l: string; s: string; c: string; p: number; f: string; q: number; x: string }
  | { t: 'peer'; l: string; s: string; c: string; st: 'joined' | 'away' | 'back' | 'left' }
  | { t: 'ended'; l: string; s: string; x?: string }
  | { t: 'lost'; l: string }
  /** A context ended: sent to every node a place of it was ever attached on (but the one ending it). */
  | { t: 'ctxend'; c: string };

/** The messages about one of this node's sockets (all but a context's end). */
export type SeatMessage = Exclude<BusMessage, { t: 'ctxend' }>;

export interface RedisNodeTimings {
  heartbeatMs: number;
  /** A node silent this long is dead: its places are held, then freed after grace. */
  nodeTimeoutMs: number;
  sweepMs: number;
  /** After a hold's deadline, how long the sweeper leaves it to the node that saw the drop. */
  sweepSlackMs: number;
}

export interface RedisNodeOptions {
  url: string;
  nodeId: string;
  prefix: string;
  clock: Clock;
  logger: Logger;
  timings: RedisNodeTimings;
  graceMs: number;
  /** Replaces Redis TIME in every script (model tests on a fake clock). */
  fakeNow?: () => number;
  onMessage: (message: SeatMessage) => void;
  /**
   * A context ended (another node's step, or the sweeper): its id, heard on this node's channel
   * by every node a place of it was ever attached on, but the node whose step ended it.
   */
  onContextEnded: (contextId: string) => void;
  /**
   * Redis came back (a reconnect), lost its data (a new epoch), or this node was declared dead
   * meanwhile: the registry re-checks, or restores, everything it holds.
   */
  onResync: (reason: 'reconnected' | 'epoch' | 'reaped') => Promise<void>;
}

export interface RedisNodeStats {
  roundTrips: number;
  errors: number;
}

interface Script {
  lua: string;
  sha: string;
}

/**
 * A command Redis has not answered in this long fails (node-redis's own default, kept). The
 * node keeps these deadlines itself, on the wall clock, in one DeadlineQueue: node-redis's
 * per-command timeout creates an `AbortSignal.timeout` (a timer, a weak reference and two
 * event listeners) for every command, a quarter of the client's CPU per round trip.
 */
export const COMMAND_TIMEOUT_MS = 5000;

interface PendingCommand {
  fail(error: Error): void;
}

export const toScript = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

const HEARTBEAT_SCRIPT = toScript(HEARTBEAT);
const SWEEP_SCRIPT = toScript(SWEEP);

/**
 * One node's link to Redis: a command connection and a subscriber connection (node-redis, RESP2,
 * no offline queue: a command fails fast while Redis is away), the epoch, the heartbeat and the
 * sweeper. Scripts run as EVALSHA, falling back to EVAL when Redis forgot them (a restart).
 */
export class RedisNode {
  readonly #o: RedisNodeOptions;
  readonly #cmd: ReturnType<typeof createClient>;
  readonly #sub: ReturnType<typeof createClient>;
  #epoch = '';
  #recovering: Promise<void> | null = null;
  #beaten = false;
  #lastBeat = Number.NEGATIVE_INFINITY;
  #readySince = Number.POSITIVE_INFINITY;
  #timer: TimerHandle | null = null;
  #sweepTimer: TimerHandle | null = null;
  #stopped = false;
  #up = false;
  readonly stats: RedisNodeStats = { roundTrips: 0, errors: 0 };
  readonly #deadlines = new DeadlineQueue<PendingCommand>({
    clock: systemClock,
    delayMs: COMMAND_TIMEOUT_MS,
    expire: (pending) => pending.fail(new Error(`Redis did not answer in ${COMMAND_TIMEOUT_MS} ms`)),
  });

  constructor(options: RedisNodeOptions) {
    this.#o = options;
    const socket = { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 2000 };
    this.#cmd = createClient({
      url: options.url,
      RESP: 2,
      disableOfflineQueue: true,
      // Each command's deadline is this node's (COMMAND_TIMEOUT_MS, #command), not a signal per command.
      commandOptions: { timeout: 0 },
      socket,
    });
    this.#sub = this.#cmd.duplicate();
    for (const [client, role] of [
      [this.#cmd, 'commands'],
      [this.#sub, 'subscriber'],
    ] as const) {
      client.on('error', () => this.#down(role));
      client.on('ready', () => this.#ready(role));
    }
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  /** Connects both connections and registers the node; throws when Redis cannot be reached. */
  async start(): Promise<void> {
    await this.#cmd.connect();
    await this.#sub.connect();
    await this.#sub.subscribe(this.channel(this.#o.nodeId), (text) => this.#receive(text));
    await this.recoverEpoch();
    await this.#heartbeat();
    this.#up = true;
    this.#readySince = this.#o.clock.now();
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deadlines.stop();
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    if (this.#sweepTimer !== null) this.#o.clock.clearTimeout(this.#sweepTimer);
    await Promise.allSettled([this.#cmd.close(), this.#sub.close()]);
  }

  /** Redis answers and the last heartbeat is recent: what /healthz reports. */
  get healthy(): boolean {
    return (
      this.#cmd.isReady && this.#sub.isReady && this.#o.clock.now() - this.#lastBeat < this.#o.timings.nodeTimeoutMs
    );
  }

  channel(node: string): string {
    return `${this.#o.prefix}ch:${node}`;
  }

  /** Runs one script; after a Redis restart (new epoch) restores first, then retries once. */
  async run(script: Script, args: (string | number)[], options: { internal?: boolean } = {}): Promise<Reply> {
    if (this.#recovering !== null && options.internal !== true) await this.#recovering;
    const reply = await this.#eval(script, args);
    if (reply.k !== 'EPOCH') return reply;
    await this.recoverEpoch();
    const again = await this.#eval(script, args);
    if (again.k === 'EPOCH') throw new Error('redis epoch changed twice during one step');
    return again;
  }

  /** Adopts the current epoch, creating it if Redis has none (a fresh or restarted Redis). */
  recoverEpoch(): Promise<void> {
    this.#recovering ??= this.#adoptEpoch().finally(() => {
      this.#recovering = null;
    });
    return this.#recovering;
  }

  async #adoptEpoch(): Promise<void> {
    const key = `${this.#o.prefix}epoch`;
    const now = this.#o.fakeNow?.() ?? (await this.#redisTime());
    const fresh = `${randomBytes(8).toString('hex')}:${now}`;
    await this.#command(['SET', key, fresh, 'NX', 'PX', String(this.#o.timings.nodeTimeoutMs * 100)]);
    const current = (await this.#command(['GET', key])) as string | null;
    if (current === null) throw new Error('redis epoch vanished');
    const previous = this.#epoch;
    this.#epoch = current;
    if (previous !== '' && previous !== current) {
      this.#o.logger.warn({ event: 'redis-data-lost' }, 'Redis lost its data (restart?): restoring this node');
      await this.#heartbeat(true);
      await this.#o.onResync('epoch');
    }
  }

  async #redisTime(): Promise<number> {
    const [s, us] = (await this.#command(['TIME'])) as [string, string];
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  #command(args: string[]): Promise<unknown> {
    this.stats.roundTrips += 1;
    return new Promise((resolve, reject) => {
      let settled = false;
      const pending: PendingCommand = {
        fail: (error) => {
          if (settled) return;
          settled = true;
          this.#deadlines.delete(pending);
          this.stats.errors += 1;
          reject(error);
        },
      };
      this.#deadlines.add(pending);
      this.#cmd.sendCommand(args).then((reply) => {
        if (settled) return;
        settled = true;
        this.#deadlines.delete(pending);
        resolve(reply);
      }, pending.fail);
    });
  }

  async #eval(script: Script, args: (string | number)[]): Promise<Reply> {
    const now = this.#o.fakeNow === undefined ? '' : String(this.#o.fakeNow());
    const argv = [this.#o.prefix, this.#epoch, now, ...args.map(String)];
    let text: unknown;
    try {
      text = await this.#command(['EVALSHA', script.sha, '0', ...argv]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      this.stats.errors -= 1;
      text = await this.#command(['EVAL', script.lua, '0', ...argv]);
    }
    return JSON.parse(String(text)) as Reply;
  }

  #receive(text: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      return;
    }
    if (message.t === 'ctxend') this.#o.onContextEnded(message.c);
    else this.#o.onMessage(message);
  }

  async #heartbeat(internal = false): Promise<void> {
    const reply = await this.run(HEARTBEAT_SCRIPT, [this.#o.nodeId, this.#o.timings.nodeTimeoutMs * 10], {
      internal,
    });
    this.#lastBeat = this.#o.clock.now();
    const wasBeaten = this.#beaten;
    this.#beaten = true;
    if (wasBeaten && reply.known === false && !internal) {
      this.#o.logger.warn({ event: 'node-reaped' }, 'this node was declared dead meanwhile: closing what it lost');
      await this.#o.onResync('reaped');
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#heartbeat().then(
        () => this.#schedule(),
        () => this.#schedule(),
      );
    }, this.#o.timings.heartbeatMs);
    this.#sweepTimer ??= this.#o.clock.setTimeout(() => this.#sweep(), this.#o.timings.sweepMs);
  }

  #sweep(): void {
    this.#sweepTimer = null;
    if (this.#stopped) return;
    // Right after Redis came back every node's heartbeat is old: give them time to beat first.
    const settled = this.#o.clock.now() - this.#readySince >= this.#o.timings.nodeTimeoutMs;
    const t = this.#o.timings;
    const step = settled
      ? this.run(SWEEP_SCRIPT, [t.nodeTimeoutMs, this.#o.graceMs, 100, t.sweepSlackMs]).then(() => undefined)
      : Promise.resolve();
    step.then(
      () => this.#scheduleSweep(),
      () => this.#scheduleSweep(),
    );
  }

  #scheduleSweep(): void {
    if (this.#stopped || this.#sweepTimer !== null) return;
    this.#sweepTimer = this.#o.clock.setTimeout(() => this.#sweep(), this.#o.timings.sweepMs);
  }

  #down(role: string): void {
    if (this.#up) {
      this.#up = false;
      this.#readySince = Number.POSITIVE_INFINITY;
      this.#o.logger.error(
        { event: 'redis-unreachable', connection: role },
        'Redis is unreachable: new joins are refused',
      );
    }
  }

  #ready(role: string): void {
    if (!this.#beaten || this.#stopped) return;
    if (!this.#cmd.isReady || !this.#sub.isReady) return;
    this.#up = true;
    this.#readySince = this.#o.clock.now();
    this.#o.logger.info({ event: 'redis-reachable', connection: role }, 'Redis is reachable again');
    void (async () => {
      await this.recoverEpoch();
      await this.#heartbeat();
      await this.#o.onResync('reconnected');
    })().catch((error: unknown) => this.#o.logger.warn({ err: error, event: 'redis-resync-failed' }));
  }
}
