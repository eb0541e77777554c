import type { EventEmitter } from 'node:events';

/**
 * The one listener that keeps a socket's errors from being thrown (they end in 'close', which
 * is handled). Shared by the connection handler and the gateway, so a socket that already has
 * it is not given a second copy: a third 'error' listener (ws adds its own) grows the
 * listener array to 19 slots, 144 B more for the socket's whole life.
 */
export const ignoreSocketError = (): void => {};

/** Gives `socket` the shared error listener unless it has it already. */
export function ignoreErrorsOf(socket: EventEmitter): void {
  if (!socket.listeners('error').includes(ignoreSocketError)) socket.on('error', ignoreSocketError);
}
