import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/clock.js';

/** The seat a credential is minted for: one place in one live session context. */
export interface CredentialSeat {
  readonly contextId: string;
  readonly place: number;
  /** Wall-clock ms after which the credential opens no new allocation. */
  readonly expiresAtMs: number;
}

/** A TURN REST credential pair, as it goes into `joined.iceServers`. */
export interface MintedCredential {
  readonly username: string;
  readonly credential: string;
}

/** What a valid username stands for. */
export interface CredentialHolder {
  /** The call's relay group: allocations relay only to allocations of the same group. */
  readonly group: string;
  /** One participant's place in that call (quotas count per tag). */
  readonly tag: string;
  /** Wall-clock seconds of the username's expiry. */
  readonly expiry: number;
}

export interface TurnCredentialsOptions {
  clock: Clock;
  /** Longest credential lifetime, ms; the seat's own expiry caps it further. */
  ttlMs: number;
  /** HMAC secret; random per process by default. It never leaves the server. */
  secret?: Buffer;
}

const TAG_CHARS = 16;
/**
 * The bytes of the MAC that encode to exactly TAG_CHARS base64url characters (16 chars, 12
 * bytes: no partial group), the same characters as the first 16 of the whole MAC's encoding.
 * Encoding only these gives a string of its own; slicing the whole encoding kept a sliced
 * string and its 43-character parent alive for as long as the tag (96 B instead of 40).
 */
const TAG_BYTES = (TAG_CHARS * 3) / 4;

/**
 * Mints and checks per-participant TURN credentials in the TURN REST scheme coturn also uses
 * (username `<expiry>:<tag>`, credential base64(HMAC-SHA1(secret, username))). The tag names a
 * session context and a place without revealing the session id; it is honoured only while that
 * context lives: `endContext` revokes every tag of it at once and tells the listeners.
 */
export class TurnCredentials {
  readonly #clock: Clock;
  /** Wall-clock ms at monotonic 0, read once: expiries then follow monotonic time (X7). */
  readonly #wallAtZero: number;
  readonly #ttlMs: number;
  readonly #secret: Buffer;
  /** Live tags → their group. */
  readonly #tags = new Map<string, string>();
  /**
   * Live groups (context ids) → their tags: the tag itself while there is one (a waiting
   * context: no array of its own), an array once there are two.
   */
  readonly #groups = new Map<string, string | string[]>();
  readonly #endListeners = new Set<(group: string) => void>();

  constructor(options: TurnCredentialsOptions) {
    this.#clock = options.clock;
    this.#wallAtZero = options.clock.wallNow() - options.clock.now();
    this.#ttlMs = options.ttlMs;
    this.#secret = options.secret ?? randomBytes(32);
  }

  /** A fresh credential for one participant of a live context. */
  mint(seat: CredentialSeat): MintedCredential {
    const group = seat.contextId;
    const tag = this.#mac(`tag\0${group}\0${seat.place}`).toString('base64url', 0, TAG_BYTES);
    this.#live(tag, group);
    // The seat's end is a wall time of now's wall clock: what is left of it is what counts.
    const lifeMs = Math.min(this.#ttlMs, seat.expiresAtMs - this.#clock.wallNow());
    const expiry = Math.floor((this.#wallNow() + lifeMs) / 1000);
    const username = `${expiry}:${tag}`;
    return { username, credential: this.passwordOf(username) };
  }

  /** The REST password of a username (what the browser was given). */
  passwordOf(username: string): string {
    return createHmac('sha1', this.#secret).update(username).digest('base64');
  }

  /** Who a username belongs to, if its tag is live; expiry is checked by the caller (Allocate only). */
  holderOf(username: string): CredentialHolder | null {
    const parsed = parseUsername(username);
    if (parsed === null) return null;
    const group = this.#tags.get(parsed.tag);
    if (group === undefined) return null;
    return { group, tag: parsed.tag, expiry: parsed.expiry };
  }

  /**
   * Whether a username has the shape of ours (and, on Allocate, is not expired), whether or not
   * its tag is live here: the TURN worker asks the main thread about such a name only.
   */
  isWellFormed(username: string, forAllocate: boolean): boolean {
    const parsed = parseUsername(username);
    return parsed !== null && !(forAllocate && parsed.expiry * 1000 <= this.#wallNow());
  }

  /**
   * Makes the tag of a username live in `group`, on the word of the side that minted it (the
   * TURN worker learns a credential this way the first time a request carries it; the worker's
   * integrity check with the same secret still decides). A later `endContext` revokes it.
   */
  learn(username: string, group: string): void {
    const parsed = parseUsername(username);
    if (parsed !== null) this.#live(parsed.tag, group);
  }

  #live(tag: string, group: string): void {
    if (this.#tags.get(tag) === group) return;
    this.#tags.set(tag, group);
    const tags = this.#groups.get(group);
    if (tags === undefined) this.#groups.set(group, tag);
    else if (typeof tags === 'string') this.#groups.set(group, [tags, tag]);
    else tags.push(tag);
  }

  /**
   * Whether the username has expired. Minted and checked by this process only, so on the wall
   * time read at start plus monotonic time since: a wall-clock jump expires nothing early and
   * keeps nothing late.
   */
  isExpired(holder: CredentialHolder): boolean {
    return holder.expiry * 1000 <= this.#wallNow();
  }

  #wallNow(): number {
    return this.#wallAtZero + this.#clock.now();
  }

  /** The context ended (hangup, timeout, lifetime): its credentials stop working, its allocations go. */
  endContext(contextId: string): void {
    const tags = this.#groups.get(contextId);
    if (tags === undefined) return;
    if (typeof tags === 'string') this.#tags.delete(tags);
    else for (const tag of tags) this.#tags.delete(tag);
    this.#groups.delete(contextId);
    for (const listener of this.#endListeners) listener(contextId);
  }

  /** Subscribes to ended groups; returns the unsubscribe. */
  onGroupEnded(listener: (group: string) => void): () => void {
    this.#endListeners.add(listener);
    return () => this.#endListeners.delete(listener);
  }

  #mac(text: string): Buffer {
    return createHmac('sha256', this.#secret).update(text).digest();
  }
}

/** The expiry and tag of a username of ours (`<expiry>:<tag>`), or null. */
function parseUsername(username: string): { expiry: number; tag: string } | null {
  const m = /^(\d{1,12}):([A-Za-z0-9_-]{16})$/.exec(username);
  if (m === null) return null;
  return { expiry: Number(m[1]), tag: m[2] ?? '' };
}
