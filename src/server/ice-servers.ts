import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/protocol/frames.js';
import type { Clock } from './clock.js';
import type { Config } from './config/index.js';

/** The TURN REST username suffix; coturn only reads the expiry before the colon. */
const TURN_USER = 'homecall';

export type IceServerProvider = (expiresAtMs: number) => IceServer[];

/**
 * Makes the `iceServers` list for each `joined`: the configured STUN URLs, and the TURN URLs
 * with a credential in the TURN REST scheme that coturn's `use-auth-secret` checks
 * (`username = "<unix-expiry>:homecall"`, `credential = base64(HMAC-SHA1(secret, username))`).
 * The credential expires at now + turn TTL, or at the session's end if that is sooner.
 * Nothing configured means an empty list: no request ever goes to a third party by default.
 */
export function createIceServerProvider(
  config: Pick<Config, 'stunUrls' | 'turnUrls' | 'turnSecret' | 'turnTtlMs'>,
  options: { clock: Pick<Clock, 'wallNow'> },
): IceServerProvider {
  const { clock } = options;
  // A fresh list per call: the caller may mutate what it gets.
  const stun = (): IceServer[] => (config.stunUrls.length > 0 ? [{ urls: [...config.stunUrls] }] : []);
  const { turnSecret, turnUrls } = config;
  if (turnUrls.length === 0 || turnSecret === undefined) return stun;
  return (expiresAtMs) => {
    const expiry = Math.floor(Math.min(clock.wallNow() + config.turnTtlMs, expiresAtMs) / 1000);
    const username = `${expiry}:${TURN_USER}`;
    const credential = createHmac('sha1', turnSecret).update(username).digest('base64');
    return [...stun(), { urls: [...turnUrls], username, credential }];
  };
}
