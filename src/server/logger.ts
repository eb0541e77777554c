import { createHmac } from 'node:crypto';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The server's structured logger (pino). Never pass SDP, candidates, IPs, tokens or raw session ids. */
export type Logger = PinoLogger;

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go: a LogSink on stdout in production (never blocking, bounded: X8). */
  destination: DestinationStream;
}

export function createLogger({ level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * Makes the log tag of a session: a short keyed hash, because the session id is the call's
 * only credential and must never reach a log.
 */
export function createSessionTagger(secret: Buffer): (sessionId: string) => string {
  return (sessionId) => createHmac('sha256', secret).update('log:').update(sessionId).digest('base64url').slice(0, 12);
}
