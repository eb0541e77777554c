import type { Clock, TimerHandle } from '../../shared/clock.js';
import { addressKey, type TransportAddress } from './stun-address.js';
import { RelayPortRange, StunError } from './stun-protocol.js';
import type { TurnQuotas } from './turn-quotas.js';

/** A client's end of the 5-tuple: one UDP source address, or one TCP/TLS connection. */
export interface TurnClient {
  /** Unique per 5-tuple. */
  readonly key: string;
  /** The source address as the server sees it (XOR-MAPPED-ADDRESS). */
  readonly address: TransportAddress;
  /** TCP or TLS: ChannelData is padded to 4 bytes. */
  readonly stream: boolean;
  send(bytes: Buffer): void;
  /** True once the connection is gone (a stream closed): a held request is then dropped. */
  gone?(): boolean;
}

interface Channel {
  /** The peer's address key (addressKey). */
  readonly key: string;
  readonly peer: TransportAddress;
  expiresAt: number;
}

/** One allocation: a virtual relayed address owned by one client 5-tuple. */
export class Allocation {
  /** Permissions by peer IP → expiry (monotonic ms). */
  readonly permissions = new Map<string, number>();
  readonly channels = new Map<number, Channel>();
  /** Peer address key → channel number. */
  readonly channelByPeer = new Map<string, number>();
  /** addressKey(relayed), made once: the relay looks channels up by it for every packet. */
  readonly relayedKey: string;
  expiresAt = 0;
  timer: TimerHandle | null = null;
  #tokens: number;
  #last: number;

  constructor(
    readonly client: TurnClient,
    readonly relayed: TransportAddress,
    readonly group: string,
    readonly tag: string,
    readonly username: string,
    /** The long-term key that signs every response to this allocation's requests. */
    readonly key: Buffer,
    /** The Allocate's transaction id, so a retransmission gets the same success. */
    readonly transactionId: string,
    readonly bytesPerSec: number,
    now: number,
  ) {
    this.#tokens = bytesPerSec;
    this.#last = now;
    this.relayedKey = addressKey(relayed);
  }

  hasPermission(ip: string, now: number): boolean {
    const until = this.permissions.get(ip);
    return until !== undefined && until > now;
  }

  /** The peer bound to a channel, if the binding is live. */
  peerOf(channel: number, now: number): TransportAddress | undefined {
    const c = this.channels.get(channel);
    return c !== undefined && c.expiresAt > now ? c.peer : undefined;
  }

  /** The live channel bound to a peer address key, if any. */
  channelTo(peer: string, now: number): number | undefined {
    const n = this.channelByPeer.get(peer);
    return n !== undefined && (this.channels.get(n)?.expiresAt ?? 0) > now ? n : undefined;
  }

  /** Drops expired permissions and channels; returns the live counts. */
  prune(now: number): { permissions: number; channels: number } {
    for (const [ip, until] of this.permissions) if (until <= now) this.permissions.delete(ip);
    for (const [n, c] of this.channels) {
      if (c.expiresAt <= now) {
        this.channels.delete(n);
        this.channelByPeer.delete(c.key);
      }
    }
    return { permissions: this.permissions.size, channels: this.channels.size };
  }

  /** The bandwidth cap: a token bucket of one second's worth of bytes. */
  takeBytes(bytes: number, now: number): boolean {
    this.#tokens = Math.min(this.bytesPerSec, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSec);
    this.#last = now;
    if (this.#tokens < bytes) return false;
    this.#tokens -= bytes;
    return true;
  }
}

export interface NewAllocation {
  client: TurnClient;
  group: string;
  tag: string;
  username: string;
  key: Buffer;
  transactionId: string;
  lifetimeMs: number;
  evenPort: boolean;
}

export type CreateResult =
  | { ok: true; allocation: Allocation }
  | { ok: false; code: typeof StunError.allocationQuotaReached | typeof StunError.insufficientCapacity };

/** Bounded: a relayed port is picked at random among the free ones in this many tries. */
const PORT_TRIES = 64;

/** Every allocation of the server, indexed by client, relayed port, tag and group, with the quotas. */
export class AllocationTable {
  readonly #clock: Clock;
  readonly #quotas: TurnQuotas;
  readonly #relayIp: string;
  readonly #random: () => number;
  readonly #byClient = new Map<string, Allocation>();
  readonly #byPort = new Map<number, Allocation>();
  readonly #perTag = new Map<string, number>();
  readonly #byGroup = new Map<string, Set<Allocation>>();
  readonly #onDelete: (allocation: Allocation) => void;

  constructor(options: {
    clock: Clock;
    quotas: TurnQuotas;
    relayIp: string;
    random?: () => number;
    onDelete?: (allocation: Allocation) => void;
  }) {
    this.#clock = options.clock;
    this.#quotas = options.quotas;
    this.#relayIp = options.relayIp;
    this.#random = options.random ?? Math.random;
    this.#onDelete = options.onDelete ?? (() => {});
  }

  get size(): number {
    return this.#byClient.size;
  }

  ofClient(key: string): Allocation | undefined {
    return this.#byClient.get(key);
  }

  /** The allocation whose relayed address this is, if any. */
  ofRelayed(address: TransportAddress): Allocation | undefined {
    if (address.family !== 4 || address.ip !== this.#relayIp) return undefined;
    return this.#byPort.get(address.port);
  }

  create(request: NewAllocation): CreateResult {
    const group = this.#byGroup.get(request.group);
    if ((this.#perTag.get(request.tag) ?? 0) >= this.#quotas.allocationsPerCredential) {
      return { ok: false, code: StunError.allocationQuotaReached };
    }
    if ((group?.size ?? 0) >= this.#quotas.allocationsPerSession) {
      return { ok: false, code: StunError.allocationQuotaReached };
    }
    if (this.#byClient.size >= this.#quotas.allocationsTotal)
      return { ok: false, code: StunError.insufficientCapacity };
    const port = this.#freePort(request.evenPort);
    if (port === undefined) return { ok: false, code: StunError.insufficientCapacity };
    const now = this.#clock.now();
    const allocation = new Allocation(
      request.client,
      { family: 4, ip: this.#relayIp, port },
      request.group,
      request.tag,
      request.username,
      request.key,
      request.transactionId,
      this.#quotas.bytesPerSecPerAllocation,
      now,
    );
    this.#byClient.set(request.client.key, allocation);
    this.#byPort.set(port, allocation);
    this.#perTag.set(request.tag, (this.#perTag.get(request.tag) ?? 0) + 1);
    if (group === undefined) this.#byGroup.set(request.group, new Set([allocation]));
    else group.add(allocation);
    this.refresh(allocation, request.lifetimeMs);
    return { ok: true, allocation };
  }

  /** Sets the allocation's remaining lifetime. */
  refresh(allocation: Allocation, lifetimeMs: number): void {
    if (allocation.timer !== null) this.#clock.clearTimeout(allocation.timer);
    allocation.expiresAt = this.#clock.now() + lifetimeMs;
    allocation.timer = this.#clock.setTimeout(() => this.delete(allocation), lifetimeMs);
  }

  delete(allocation: Allocation): void {
    if (this.#byClient.get(allocation.client.key) !== allocation) return;
    if (allocation.timer !== null) this.#clock.clearTimeout(allocation.timer);
    allocation.timer = null;
    this.#byClient.delete(allocation.client.key);
    this.#byPort.delete(allocation.relayed.port);
    const left = (this.#perTag.get(allocation.tag) ?? 1) - 1;
    if (left > 0) this.#perTag.set(allocation.tag, left);
    else this.#perTag.delete(allocation.tag);
    const group = this.#byGroup.get(allocation.group);
    group?.delete(allocation);
    if (group?.size === 0) this.#byGroup.delete(allocation.group);
    this.#onDelete(allocation);
  }

  /** Deletes every allocation of a group (its session context ended). */
  deleteGroup(group: string): void {
    for (const allocation of [...(this.#byGroup.get(group) ?? [])]) this.delete(allocation);
  }

  deleteAll(): void {
    for (const allocation of [...this.#byClient.values()]) this.delete(allocation);
  }

  #freePort(even: boolean): number | undefined {
    const span = RelayPortRange.max - RelayPortRange.min + 1;
    for (let i = 0; i < PORT_TRIES; i++) {
      let port = RelayPortRange.min + Math.floor(this.#random() * span);
      if (even) port &= ~1;
      if (!this.#byPort.has(port)) return port;
    }
    return undefined;
  }
}
