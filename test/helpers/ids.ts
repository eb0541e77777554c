import { randomBytes, randomUUID } from 'node:crypto';

/** A fresh random session id (lower case, RFC 9562 v4). */
export const uuid = (): string => randomUUID();

/** A random 32-byte token secret as hex, the form `--token-secret` takes. */
export const tokenSecret = (): string => randomBytes(32).toString('hex');
