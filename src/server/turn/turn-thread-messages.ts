/**
 * The message protocol between the main thread and the TURN worker (turn-thread.ts,
 * turn-worker.ts). The worker owns everything TURN does per packet: the UDP socket, the
 * allocations, the relay, the nonces, the quotas. The main thread owns what only it can know:
 * which session contexts live (their credentials are minted and revoked there; the worker asks
 * about a username the first time a request carries it, and is told of the end of a context it
 * asked about), and the TCP/TLS connections of the HTTPS port (their bytes are forwarded both ways).
 */
import type { AddressInfo } from 'node:net';
import type { TurnServerOptions } from './turn-core.js';
import type { TurnQuotas } from './turn-quotas.js';

/** What the worker is started with (workerData). */
export interface TurnWorkerInit
  extends Pick<TurnServerOptions, 'relayIp' | 'credentialTtlMs' | 'nonceTtlMs' | 'realm'> {
  /** The credential secret: the worker checks the same REST credentials the main thread mints. */
  secret: Uint8Array;
  quotas: TurnQuotas;
  /** The main logger's level; the worker's log lines are re-logged by the main logger. */
  logLevel: string;
}

export type ToWorker =
  | { t: 'listen'; port: number; host?: string }
  /** The answer to `ask` `id`: the live context the username belongs to, or null (refused). */
  | { t: 'group'; id: number; group: string | null }
  /**
   * A context the worker was answered about ended: its credentials are refused and its
   * allocations deleted. Sent after that answer on the same port (FIFO), and before anything
   * the main thread does after the end (the hangup it sends out, for one).
   */
  | { t: 'end'; contextId: string }
  | { t: 'stream-open'; id: number; ip: string; port: number }
  | { t: 'stream-data'; id: number; bytes: Uint8Array }
  /** The connection closed on the main side. */
  | { t: 'stream-close'; id: number }
  | { t: 'close' };

export type FromWorker =
  | { t: 'listening'; address: AddressInfo }
  | { t: 'listen-error'; code: string | undefined; message: string }
  /** Which live context does this username belong to? (A request carrying it waits for the answer.) */
  | { t: 'ask'; id: number; username: string }
  /** One JSON log line of the worker's logger. */
  | { t: 'log'; line: string }
  | { t: 'stream-write'; id: number; bytes: Uint8Array }
  /** Bytes of one `stream-data` handled (flow control of the main side's reads). */
  | { t: 'stream-ack'; id: number; bytes: number }
  /** End the connection after what was written (its allocation went). */
  | { t: 'stream-end'; id: number }
  /** Drop the connection now (framing error, idle without allocation). */
  | { t: 'stream-destroy'; id: number }
  | { t: 'closed' };

/** A copy of exactly these bytes in a fresh ArrayBuffer, so it can be transferred, not cloned whole. */
export function transferable(bytes: Uint8Array): { bytes: Uint8Array; transfer: ArrayBuffer[] } {
  const copy = new Uint8Array(bytes);
  return { bytes: copy, transfer: [copy.buffer] };
}
