import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../logger.js';
import type { Allocation, AllocationTable, TurnClient } from './allocation-table.js';
import { looksLikeChannelData } from './channel-data.js';
import { SourceLimiter } from './source-limiter.js';
import { addressKey, decodeAddress, encodeAddress, type TransportAddress } from './stun-address.js';
import {
  checkFingerprint,
  decodeStun,
  encodeStun,
  errorCodeValue,
  getAttribute,
  type OutAttribute,
  type StunMessage,
  u32Value,
  unknownAttributesValue,
} from './stun-message.js';
import {
  AddressFamily,
  COMPREHENSION_OPTIONAL_MIN,
  ChannelRange,
  KNOWN_REQUIRED_ATTRIBUTES,
  StunAttr,
  StunClass,
  StunError,
  StunMethod,
  TransportProtocol,
  TurnTimes,
} from './stun-protocol.js';
import { type Authenticated, authenticate } from './turn-auth.js';
import type { TurnCredentials } from './turn-credentials.js';
import type { NonceIssuer } from './turn-nonce.js';
import type { TurnQuotas } from './turn-quotas.js';
import { TurnRelay } from './turn-relay.js';

export interface TurnHandlerOptions {
  clock: Clock;
  logger: Logger;
  credentials: TurnCredentials;
  nonces: NonceIssuer;
  allocations: AllocationTable;
  quotas: TurnQuotas;
  realm: string;
  /**
   * Asks the side that mints credentials which live context a username it does not know here
   * belongs to (null: none, or no longer). The TURN worker is not told of every credential the
   * main thread mints: it asks on the first authenticated request that carries one.
   */
  askGroup?: AskGroup;
}

/** See TurnHandlerOptions.askGroup. */
export type AskGroup = (username: string) => Promise<string | null>;

/** Usernames asked about at once; a request beyond is dropped (its client retransmits). */
const MAX_ASKING = 1024;
/** Requests held for one username while it is asked about. */
const MAX_HELD_PER_NAME = 8;

const AUTHENTICATED_METHODS: ReadonlySet<number> = new Set([
  StunMethod.allocate,
  StunMethod.refresh,
  StunMethod.createPermission,
  StunMethod.channelBind,
]);

type Reply = { code: StunError; attributes?: OutAttribute[] } | { attributes: OutAttribute[] };

/**
 * Everything a STUN/TURN server does with one datagram (or one framed stream message), whatever
 * the transport: Binding, the four authenticated TURN requests, Send indications and ChannelData.
 */
export class TurnHandler {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #credentials: TurnCredentials;
  readonly #nonces: NonceIssuer;
  readonly #allocations: AllocationTable;
  readonly #quotas: TurnQuotas;
  readonly #realm: string;
  readonly #limiter: SourceLimiter;
  readonly #askGroup: AskGroup | undefined;
  /** Usernames being asked about → the requests held until the answer. */
  readonly #asking = new Map<string, (() => void)[]>();
  readonly relay: TurnRelay;

  constructor(options: TurnHandlerOptions) {
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#credentials = options.credentials;
    this.#nonces = options.nonces;
    this.#allocations = options.allocations;
    this.#quotas = options.quotas;
    this.#realm = options.realm;
    this.#limiter = new SourceLimiter({ clock: options.clock, perSec: options.quotas.answersPerSecPerAddress });
    this.relay = new TurnRelay({ clock: options.clock, allocations: options.allocations });
    this.#askGroup = options.askGroup;
  }

  /** Handles one message from a client; anything malformed is dropped without an answer. */
  handle(bytes: Buffer, client: TurnClient): void {
    this.#handle(bytes, client, false);
  }

  #handle(bytes: Buffer, client: TurnClient, asked: boolean): void {
    if (looksLikeChannelData(bytes)) return this.relay.handleChannelData(bytes, client.key);
    const message = decodeStun(bytes);
    if (message === null || checkFingerprint(message) === 'invalid') return;
    if (message.cls === StunClass.indication) {
      if (message.method === StunMethod.send) this.relay.handleSend(message, client);
      return;
    }
    if (message.cls !== StunClass.request) return;
    if (message.method === StunMethod.binding) return this.#binding(message, client);
    if (!AUTHENTICATED_METHODS.has(message.method)) return this.#answerUnauthenticated(message, client, 400);
    const auth = authenticate(message, { realm: this.#realm, nonces: this.#nonces, credentials: this.#credentials });
    if (!auth.ok) {
      const unknown = auth.error.challenge ? auth.error.unknown : undefined;
      if (unknown !== undefined && !asked && this.#askGroup !== undefined) {
        return this.#askThenHandle(this.#askGroup, unknown, bytes, client);
      }
      const challenge = auth.error.challenge
        ? [
            { type: StunAttr.REALM, value: this.#realm },
            { type: StunAttr.NONCE, value: this.#nonces.issue() },
          ]
        : [];
      return this.#answerUnauthenticated(message, client, auth.error.code, challenge);
    }
    const unknown = unknownRequired(message);
    const reply: Reply =
      unknown.length > 0
        ? unknownReply(unknown)
        : message.method === StunMethod.allocate
          ? this.#allocate(message, client, auth.value)
          : this.#onAllocation(message, client, auth.value);
    this.#send(client, message, reply, auth.value.key);
  }

  /**
   * Holds a request whose username is not known here, asks about it (one question per username
   * at a time, bounded in all and per source address like an unauthenticated answer), learns the
   * answer and handles the request again, once: a name still unknown is refused as before.
   */
  #askThenHandle(ask: AskGroup, username: string, bytes: Buffer, client: TurnClient): void {
    const copy = Buffer.from(bytes);
    const again = () => {
      if (client.gone?.() !== true) this.#handle(copy, client, true);
    };
    const held = this.#asking.get(username);
    if (held !== undefined) {
      if (held.length < MAX_HELD_PER_NAME) held.push(again);
      return;
    }
    if (this.#asking.size >= MAX_ASKING || !this.#limiter.take(client.address.ip)) return;
    this.#asking.set(username, [again]);
    const answered = (group: string | null) => {
      const waiting = this.#asking.get(username) ?? [];
      this.#asking.delete(username);
      if (group !== null) this.#credentials.learn(username, group);
      for (const request of waiting) request();
    };
    ask(username).then(answered, () => {
      this.#log.warn({ event: 'turn-ask-failed' });
      answered(null);
    });
  }

  #binding(message: StunMessage, client: TurnClient): void {
    const unknown = unknownRequired(message);
    if (unknown.length > 0) {
      if (this.#limiter.take(client.address.ip)) this.#send(client, message, unknownReply(unknown));
      return;
    }
    if (!this.#limiter.take(client.address.ip)) return;
    const mapped = encodeAddress(client.address, message.transactionId);
    this.#send(client, message, { attributes: [{ type: StunAttr.XOR_MAPPED_ADDRESS, value: mapped }] });
  }

  #answerUnauthenticated(message: StunMessage, client: TurnClient, code: StunError, attributes: OutAttribute[] = []) {
    if (!this.#limiter.take(client.address.ip)) return;
    this.#log.debug({ event: 'turn-refused', method: message.method, code });
    this.#send(client, message, { code, attributes });
  }

  #allocate(message: StunMessage, client: TurnClient, auth: Authenticated): Reply {
    const existing = this.#allocations.ofClient(client.key);
    if (existing !== undefined) {
      // A retransmission gets the same success; anything else on a taken 5-tuple is a mismatch.
      if (existing.transactionId === message.transactionId.toString('hex')) return this.#allocated(existing);
      return { code: StunError.allocationMismatch };
    }
    const transport = getAttribute(message, StunAttr.REQUESTED_TRANSPORT);
    if (transport?.length !== 4) return { code: StunError.badRequest };
    if (transport[0] !== TransportProtocol.udp) return { code: StunError.unsupportedTransport };
    const family = getAttribute(message, StunAttr.REQUESTED_ADDRESS_FAMILY);
    if (family !== undefined) {
      if (family.length !== 4) return { code: StunError.badRequest };
      if (family[0] === AddressFamily.ipv6) return { code: StunError.addressFamilyNotSupported };
      if (family[0] !== AddressFamily.ipv4) return { code: StunError.badRequest };
    }
    const lifetime = requestedLifetime(message);
    if (lifetime === null) return { code: StunError.badRequest };
    const created = this.#allocations.create({
      client,
      group: auth.holder.group,
      tag: auth.holder.tag,
      username: auth.username,
      key: auth.key,
      transactionId: message.transactionId.toString('hex'),
      lifetimeMs: clampLifetime(lifetime) * 1000,
      evenPort: getAttribute(message, StunAttr.EVEN_PORT) !== undefined,
    });
    if (!created.ok) {
      this.#log.info({ event: 'turn-allocation-refused', code: created.code, allocations: this.#allocations.size });
      return { code: created.code };
    }
    this.#log.info({
      event: 'turn-allocated',
      transport: client.stream ? 'tcp' : 'udp',
      allocations: this.#allocations.size,
    });
    return this.#allocated(created.allocation);
  }

  #allocated(allocation: Allocation): Reply {
    const remaining = Math.max(0, Math.round((allocation.expiresAt - this.#clock.now()) / 1000));
    const tid = Buffer.from(allocation.transactionId, 'hex');
    return {
      attributes: [
        { type: StunAttr.XOR_RELAYED_ADDRESS, value: encodeAddress(allocation.relayed, tid) },
        { type: StunAttr.LIFETIME, value: u32Value(remaining) },
        { type: StunAttr.XOR_MAPPED_ADDRESS, value: encodeAddress(allocation.client.address, tid) },
      ],
    };
  }

  /** Refresh, CreatePermission and ChannelBind: they act on the 5-tuple's allocation. */
  #onAllocation(message: StunMessage, client: TurnClient, auth: Authenticated): Reply {
    const allocation = this.#allocations.ofClient(client.key);
    if (allocation === undefined) return { code: StunError.allocationMismatch };
    if (allocation.username !== auth.username) return { code: StunError.wrongCredentials };
    if (message.method === StunMethod.refresh) return this.#refresh(message, allocation);
    const peers = peerAddresses(message);
    if (peers === null || peers.length === 0) return { code: StunError.badRequest };
    if (peers.some((p) => p.family !== 4)) return { code: StunError.peerAddressFamilyMismatch };
    const now = this.#clock.now();
    const live = allocation.prune(now);
    const newIps = new Set(peers.map((p) => p.ip).filter((ip) => !allocation.permissions.has(ip)));
    if (live.permissions + newIps.size > this.#quotas.permissionsPerAllocation) {
      return { code: StunError.insufficientCapacity };
    }
    if (message.method === StunMethod.channelBind) {
      const refused = this.#bindChannel(message, allocation, peers, now, live.channels);
      if (refused !== null) return refused;
    }
    for (const p of peers) allocation.permissions.set(p.ip, now + TurnTimes.permissionSec * 1000);
    return { attributes: [] };
  }

  #refresh(message: StunMessage, allocation: Allocation): Reply {
    const family = getAttribute(message, StunAttr.REQUESTED_ADDRESS_FAMILY);
    if (family !== undefined && family[0] !== AddressFamily.ipv4) return { code: StunError.peerAddressFamilyMismatch };
    const lifetime = requestedLifetime(message);
    if (lifetime === null) return { code: StunError.badRequest };
    if (lifetime === 0) {
      this.#allocations.delete(allocation);
      return { attributes: [{ type: StunAttr.LIFETIME, value: u32Value(0) }] };
    }
    const seconds = clampLifetime(lifetime);
    this.#allocations.refresh(allocation, seconds * 1000);
    return { attributes: [{ type: StunAttr.LIFETIME, value: u32Value(seconds) }] };
  }

  /** RFC 8656 §11.2: one peer per channel and one channel per peer, numbers in ChannelRange. */
  #bindChannel(
    message: StunMessage,
    allocation: Allocation,
    peers: TransportAddress[],
    now: number,
    liveChannels: number,
  ): Reply | null {
    const value = getAttribute(message, StunAttr.CHANNEL_NUMBER);
    const peer = peers[0];
    if (value?.length !== 4 || peers.length !== 1 || peer === undefined) return { code: StunError.badRequest };
    const channel = value.readUInt16BE(0);
    if (channel < ChannelRange.min || channel > ChannelRange.max) return { code: StunError.badRequest };
    const key = addressKey(peer);
    const bound = allocation.channels.get(channel);
    if (bound !== undefined && bound.key !== key) return { code: StunError.badRequest };
    const other = allocation.channelByPeer.get(key);
    if (other !== undefined && other !== channel) return { code: StunError.badRequest };
    if (bound === undefined && liveChannels >= this.#quotas.channelsPerAllocation) {
      return { code: StunError.insufficientCapacity };
    }
    allocation.channels.set(channel, { key, peer, expiresAt: now + TurnTimes.channelSec * 1000 });
    allocation.channelByPeer.set(key, channel);
    return null;
  }

  /** Sends a response; signed when `key` is given, with FINGERPRINT when the request had one. */
  #send(client: TurnClient, request: StunMessage, reply: Reply, key?: Buffer): void {
    const isError = 'code' in reply;
    const attributes = isError
      ? [{ type: StunAttr.ERROR_CODE, value: errorCodeValue(reply.code) }, ...(reply.attributes ?? [])]
      : reply.attributes;
    const bytes = encodeStun(
      {
        method: request.method,
        cls: isError ? StunClass.error : StunClass.success,
        transactionId: request.transactionId,
        attributes,
      },
      { ...(key === undefined ? {} : { integrityKey: key }), fingerprint: request.fingerprintAt !== -1 },
    );
    client.send(bytes);
  }
}

function unknownRequired(message: StunMessage): number[] {
  const unknown: number[] = [];
  for (const a of message.attributes) {
    if (a.type < COMPREHENSION_OPTIONAL_MIN && !KNOWN_REQUIRED_ATTRIBUTES.has(a.type) && !unknown.includes(a.type)) {
      unknown.push(a.type);
    }
  }
  return unknown;
}

function unknownReply(types: number[]): Reply {
  return {
    code: StunError.unknownAttribute,
    attributes: [{ type: StunAttr.UNKNOWN_ATTRIBUTES, value: unknownAttributesValue(types) }],
  };
}

/** The requested LIFETIME in seconds, undefined → the default; null when malformed. */
function requestedLifetime(message: StunMessage): number | null {
  const value = getAttribute(message, StunAttr.LIFETIME);
  if (value === undefined) return TurnTimes.defaultLifetimeSec;
  return value.length === 4 ? value.readUInt32BE(0) : null;
}

/** RFC 8656 §7.2: at least the default, at most the maximum. */
function clampLifetime(seconds: number): number {
  return Math.min(Math.max(seconds, TurnTimes.defaultLifetimeSec), TurnTimes.maxLifetimeSec);
}

/** Every XOR-PEER-ADDRESS of a request; null when one is malformed. */
function peerAddresses(message: StunMessage): TransportAddress[] | null {
  const peers: TransportAddress[] = [];
  for (const a of message.attributes) {
    if (a.type !== StunAttr.XOR_PEER_ADDRESS) continue;
    const peer = decodeAddress(a.value, message.transactionId);
    if (peer === null) return null;
    peers.push(peer);
  }
  return peers;
}
