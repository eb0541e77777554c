import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Clock } from '../clock.js';

/** A client that never reads the refusal is cut this long after it was written. */
const LINGER_MS = 1000;

/**
 * Answers a request on the raw socket (an upgrade that is refused, a request the parser could not
 * read) with a short plain-text response, then closes the socket: once the answer is flushed, or
 * after a moment if the client never reads it.
 */
export function refuseRaw(socket: Duplex, status: number, text: string, clock: Clock): void {
  const body = `${text}\n`;
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
  const timer = clock.setTimeout(() => socket.destroy(), LINGER_MS);
  socket.once('close', () => clock.clearTimeout(timer));
}
