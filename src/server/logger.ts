import { createHmac, createSecretKey } from 'node:crypto';
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
  // The key imported once, not per tag.
  const key = createSecretKey(secret);
  return (sessionId) => createHmac('sha256', key).update('log:').update(sessionId).digest('base64url').slice(0, 12);
}

/** What logs an event: the server's logger, or a session's TaggedLog. */
export interface EventLog {
  debug(fields: Record<string, unknown>): void;
  info(fields: Record<string, unknown>): void;
  warn(fields: Record<string, unknown>): void;
  error(fields: Record<string, unknown>): void;
}

/**
 * A session's log: each line carries the session's tag (`session`, first, as a pino child's
 * binding would). Two fields per context instead of a pino child logger per session, which
 * copies the logger's state and serialises its bindings when made.
 */
export class TaggedLog implements EventLog {
  constructor(
    private readonly logger: Logger,
    readonly tag: string,
  ) {}

  debug(fields: Record<string, unknown>): void {
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({ session: this.tag, ...fields });
  }
  info(fields: Record<string, unknown>): void {
    this.logger.info({ session: this.tag, ...fields });
  }
  warn(fields: Record<string, unknown>): void {
    this.logger.warn({ session: this.tag, ...fields });
  }
  error(fields: Record<string, unknown>): void {
    this.logger.error({ session: this.tag, ...fields });
  }
}
