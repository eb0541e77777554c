import { createHmac, timingSafeEqual } from 'node:crypto';
import { FIELD_LIMITS } from '../../shared/protocol/index.js';
import type { Place } from './session-registry.js';

/** What a resume token proves: a place in one context of one session, at one generation. */
export interface TokenClaims {
  sessionId: string;
  /** Random id of the context, so a token never opens a later context under the same id. */
  contextId: string;
  place: Place;
  /** Random id of whoever holds the place; a newcomer who takes the place over gets a new one. */
  occupant: string;
  /** Bumped at every `joined`, so an earlier token of the place stops working. */
  gen: number;
  /** Wall-clock ms when the token was issued. */
  issuedAt: number;
  /** Wall-clock ms when the context was created, so a restored context keeps its lifetime. */
  createdAt: number;
}

const VERSION = 1;
const MAC_BYTES = 16;
// version(1) session(16) context(8) place(1) occupant(8) gen(4) issuedAt(6) createdAt(6)
const BODY_BYTES = 1 + 16 + 8 + 1 + 8 + 4 + 6 + 6;
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/** Signs and verifies resume tokens (HMAC-SHA256, compared in constant time). */
export class ResumeTokens {
  readonly #key: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the token secret must be at least 32 bytes');
    // Derive a dedicated key so the same secret can also key other things (log tags).
    this.#key = createHmac('sha256', secret).update('homecall resume token v1').digest();
  }

  sign(claims: TokenClaims): string {
    const body = Buffer.alloc(BODY_BYTES);
    let o = body.writeUInt8(VERSION, 0);
    o += Buffer.from(claims.sessionId.replaceAll('-', ''), 'hex').copy(body, o);
    o += Buffer.from(claims.contextId, 'hex').copy(body, o);
    o = body.writeUInt8(claims.place, o);
    o += Buffer.from(claims.occupant, 'hex').copy(body, o);
    o = body.writeUInt32BE(claims.gen >>> 0, o);
    o = body.writeUIntBE(claims.issuedAt, o, 6);
    body.writeUIntBE(claims.createdAt, o, 6);
    return Buffer.concat([body, this.#mac(body)]).toString('base64url');
  }

  /** The claims of a genuine token, or `null` for anything forged, garbled or of another version. */
  verify(token: string): TokenClaims | null {
    if (token.length > FIELD_LIMITS.tokenChars) return null;
    if (token.length !== Math.ceil(((BODY_BYTES + MAC_BYTES) * 4) / 3) || !TOKEN_RE.test(token)) return null;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length !== BODY_BYTES + MAC_BYTES) return null;
    const body = raw.subarray(0, BODY_BYTES);
    if (!timingSafeEqual(raw.subarray(BODY_BYTES), this.#mac(body))) return null;
    if (body.readUInt8(0) !== VERSION) return null;
    const place = body.readUInt8(25);
    if (place !== 0 && place !== 1) return null;
    const hex = body.toString('hex', 1, 17);
    return {
      sessionId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
      contextId: body.toString('hex', 17, 25),
      place,
      occupant: body.toString('hex', 26, 34),
      gen: body.readUInt32BE(34),
      issuedAt: body.readUIntBE(38, 6),
      createdAt: body.readUIntBE(44, 6),
    };
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(body).digest().subarray(0, MAC_BYTES);
  }
}
