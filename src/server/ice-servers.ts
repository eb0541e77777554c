import { createHmac } from 'node:crypto';
import type { IceServer } from '../shared/protocol/frames.js';
import type { Clock } from './clock.js';
import type { Config } from './config/index.js';
import type { IceSeat } from './sessions/session-service.js';
import type { MintedCredential } from './turn/turn-credentials.js';

/** The TURN REST username suffix; coturn only reads the expiry before the colon. */
const TURN_USER = 'homecall';

export type IceServerProvider = (seat: IceSeat) => IceServer[];

/** The built-in STUN/TURN server as the provider needs it: its URLs and a per-seat credential. */
export interface BuiltinTurnServers {
  /** `turn:` URLs (UDP first); read per `joined`, since ports are known only once listening. */
  urls(): readonly string[];
  mint(seat: IceSeat): MintedCredential;
}

/**
 * Makes the `iceServers` list for each `joined`: the configured STUN URLs, then either
 * coturn's TURN URLs with a credential in the TURN REST scheme its `use-auth-secret` checks
 * (`username = "<unix-expiry>:homecall"`, `credential = base64(HMAC-SHA1(secret, username))`),
 * or the built-in server's URLs with a credential minted for this participant's seat. A coturn
 * credential expires at now + turn TTL, or at the session's end if that is sooner. Nothing
 * configured and no built-in server means an empty list: no request ever goes to a third party.
 */
export function createIceServerProvider(
  config: Pick<Config, 'stunUrls' | 'turnUrls' | 'turnSecret' | 'turnTtlMs'>,
  options: { clock: Pick<Clock, 'wallNow'>; builtin?: BuiltinTurnServers },
): IceServerProvider {
  const { clock, builtin } = options;
  // A fresh list per call: the caller may mutate what it gets.
  const stun = (): IceServer[] => (config.stunUrls.length > 0 ? [{ urls: [...config.stunUrls] }] : []);
  const { turnSecret, turnUrls } = config;
  if (turnUrls.length > 0 && turnSecret !== undefined) {
    return ({ expiresAtMs }) => {
      const expiry = Math.floor(Math.min(clock.wallNow() + config.turnTtlMs, expiresAtMs) / 1000);
      const username = `${expiry}:${TURN_USER}`;
      const credential = createHmac('sha1', turnSecret).update(username).digest('base64');
      return [...stun(), { urls: [...turnUrls], username, credential }];
    };
  }
  if (builtin === undefined) return stun;
  return (seat) => {
    const { username, credential } = builtin.mint(seat);
    return [...stun(), { urls: [...builtin.urls()], username, credential }];
  };
}
