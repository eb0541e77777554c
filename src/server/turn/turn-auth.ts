import { type StunMessage, getAttribute, longTermKey, verifyIntegrity } from './stun-message.js';
import { StunAttr, StunError, StunMethod } from './stun-protocol.js';
import type { CredentialHolder, TurnCredentials } from './turn-credentials.js';
import type { NonceIssuer } from './turn-nonce.js';

/** A request that passed the long-term credential check. */
export interface Authenticated {
  readonly holder: CredentialHolder;
  readonly username: string;
  /** MD5(username:realm:password): signs the responses. */
  readonly key: Buffer;
}

/** Why a request was refused; `challenge` errors carry REALM and NONCE (401 and 438). */
export type AuthRefusal =
  | {
      code: typeof StunError.unauthorized | typeof StunError.staleNonce;
      challenge: true;
      /** A username of our shape whose tag is not live here (the TURN worker may ask about it). */
      unknown?: string;
    }
  | { code: typeof StunError.badRequest; challenge: false };

export type AuthResult = { ok: true; value: Authenticated } | { ok: false; error: AuthRefusal };

const UNAUTHORIZED: AuthResult = { ok: false, error: { code: StunError.unauthorized, challenge: true } };

/**
 * The long-term credential check (RFC 8489 §9.2.4) in its order: no MESSAGE-INTEGRITY → 401;
 * USERNAME, REALM or NONCE missing → 400; nonce stale or forged → 438; a username whose session
 * context has ended, or that is not ours, or (on Allocate) expired → 401; wrong integrity → 401.
 */
export function authenticate(
  message: StunMessage,
  options: { realm: string; nonces: NonceIssuer; credentials: TurnCredentials },
): AuthResult {
  if (message.integrityAt === -1) return UNAUTHORIZED;
  const username = getAttribute(message, StunAttr.USERNAME);
  const realm = getAttribute(message, StunAttr.REALM);
  const nonce = getAttribute(message, StunAttr.NONCE);
  if (username === undefined || realm === undefined || nonce === undefined) {
    return { ok: false, error: { code: StunError.badRequest, challenge: false } };
  }
  if (options.nonces.check(nonce.toString('latin1')) !== 'valid') {
    return { ok: false, error: { code: StunError.staleNonce, challenge: true } };
  }
  const name = username.toString('utf8');
  if (realm.toString('utf8') !== options.realm) return UNAUTHORIZED;
  const holder = options.credentials.holderOf(name);
  if (holder === null) {
    if (!options.credentials.isWellFormed(name, message.method === StunMethod.allocate)) return UNAUTHORIZED;
    return { ok: false, error: { code: StunError.unauthorized, challenge: true, unknown: name } };
  }
  // The expiry bounds new allocations only; refreshes go on while the call's context lives.
  if (message.method === StunMethod.allocate && options.credentials.isExpired(holder)) return UNAUTHORIZED;
  const key = longTermKey(name, options.realm, options.credentials.passwordOf(name));
  if (!verifyIntegrity(message, key)) return UNAUTHORIZED;
  return { ok: true, value: { holder, username: name, key } };
}
