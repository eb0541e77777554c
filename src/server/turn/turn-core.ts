import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../logger.js';
import { type Allocation, AllocationTable } from './allocation-table.js';
import { TurnCredentials } from './turn-credentials.js';
import { type AskGroup, TurnHandler } from './turn-handler.js';
import { NonceIssuer } from './turn-nonce.js';
import { DEFAULT_TURN_QUOTAS, type TurnQuotas } from './turn-quotas.js';

export interface TurnServerOptions {
  clock: Clock;
  logger: Logger;
  /** The IPv4 address relayed addresses carry (the server's announced address; ports are virtual). */
  relayIp: string;
  /** Longest credential lifetime, ms. */
  credentialTtlMs: number;
  quotas?: TurnQuotas;
  /** How long a nonce stays fresh (438 after), ms; 10 min by default. */
  nonceTtlMs?: number;
  realm?: string;
  /** Credential secret; random per process by default. */
  secret?: Buffer;
  /** Picks relayed ports; Math.random by default. */
  random?: () => number;
  /** Where credentials minted elsewhere are asked about (the TURN worker: the main thread). */
  askGroup?: AskGroup;
}

/** The transport-independent parts of a TURN server, wired together. */
export interface TurnCore {
  credentials: TurnCredentials;
  allocations: AllocationTable;
  /** Takes every STUN message and ChannelData a transport receives (the relay is `handler.relay`). */
  handler: TurnHandler;
}

const DEFAULT_NONCE_TTL_MS = 600_000;
const DEFAULT_REALM = 'homecall';

/**
 * Credentials, allocations and the message handler of one TURN server, with a context's end
 * deleting its allocations. TurnServer puts the UDP listener and TCP/TLS streams around them
 * (tests drive them in memory: testing/memory-turn-server.ts). `onDelete` hears every deleted
 * allocation.
 */
export function createTurnCore(options: TurnServerOptions, onDelete: (allocation: Allocation) => void): TurnCore {
  const quotas = options.quotas ?? DEFAULT_TURN_QUOTAS;
  const credentials = new TurnCredentials({
    clock: options.clock,
    ttlMs: options.credentialTtlMs,
    ...(options.secret === undefined ? {} : { secret: options.secret }),
  });
  const allocations = new AllocationTable({
    clock: options.clock,
    quotas,
    relayIp: options.relayIp,
    ...(options.random === undefined ? {} : { random: options.random }),
    onDelete,
  });
  const handler = new TurnHandler({
    clock: options.clock,
    logger: options.logger,
    credentials,
    nonces: new NonceIssuer({ clock: options.clock, ttlMs: options.nonceTtlMs ?? DEFAULT_NONCE_TTL_MS }),
    allocations,
    quotas,
    realm: options.realm ?? DEFAULT_REALM,
    ...(options.askGroup === undefined ? {} : { askGroup: options.askGroup }),
  });
  credentials.onGroupEnded((group) => allocations.deleteGroup(group));
  return { credentials, allocations, handler };
}
